"""ccxt's own HTTP layer (a requests.Session) with a transport adapter that answers from the hand-written
Binance fixtures in recorded/binance/, in a scripted order; any request off the script fails the test.
Everything above the socket is ccxt's real code: signing, status-code and error-code mapping, parsing."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter

from smartpay_rewards.chain.ports import ApiKey
from smartpay_rewards.exchange.cex import CcxtExchange, connect

RECORDED = Path(__file__).parent / "recorded" / "binance"
TIMEOUT = "TIMEOUT"
INFO = ("GET", "/api/v3/exchangeInfo", "exchangeInfo")
DEPTH = ("GET", "/api/v3/depth", "depth")
ORDER = "/api/v3/order"


class RecordedBinance(BaseAdapter):
    def __init__(self, script: list[tuple[str, str, str]]):
        super().__init__()
        self.script = list(script)
        self.requests: list[tuple[str, str, dict]] = []
        self.headers: list[dict[str, str]] = []  # per request, as sent (a signed request carries the API key)

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        params = dict(parse_qsl(parts.query))
        if request.body:
            body = request.body.decode() if isinstance(request.body, bytes) else request.body
            params.update(parse_qsl(body))
        self.requests.append((request.method, parts.path, params))
        self.headers.append(dict(request.headers))
        assert self.script, f"unscripted request {request.method} {parts.path}"
        method, path, fixture = self.script.pop(0)
        assert (request.method, parts.path) == (method, path), \
            f"expected {method} {path}, got {request.method} {parts.path}"
        if fixture == TIMEOUT:
            raise requests.exceptions.ReadTimeout(f"read timed out: {parts.path}")
        recorded = json.loads((RECORDED / f"{fixture}.json").read_text())
        text = json.dumps(recorded["body"])
        quantity = params.get("quantity", "0")
        cost = Decimal(quantity) * Decimal(params.get("price", "0"))
        client_id = params.get("newClientOrderId") or params.get("origClientOrderId") or ""
        text = text.replace("{quantity}", quantity).replace("{cost}", f"{cost:.8f}") \
            .replace("{clientOrderId}", client_id)
        response = requests.Response()
        response.status_code = recorded["status"]
        response._content = text.encode()
        response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        response.reason = "OK" if recorded["status"] < 400 else "Error"
        return response

    def close(self):
        pass


def binance_session(script) -> tuple[requests.Session, RecordedBinance]:
    adapter = RecordedBinance(script)
    session = requests.Session()
    session.mount("https://", adapter)
    return session, adapter


def throwaway_key() -> ApiKey:
    """Credentials generated per test (the recorded server checks no signature)."""
    return ApiKey(secrets.token_hex(16), secrets.token_hex(32))


def recorded_exchange(script, clock, key: ApiKey | None = None) -> tuple[CcxtExchange, RecordedBinance]:
    """The ccxt adapter as bootstrap builds it (`connect`), over the recorded transport."""
    session, transport = binance_session(script)
    return CcxtExchange(connect("binance", key or throwaway_key(), session), Decimal("0.01"), clock=clock), transport
