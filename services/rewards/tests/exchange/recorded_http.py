"""ccxt's own HTTP layer (a requests.Session) with a transport adapter that answers from the hand-written
Binance fixtures in recorded/binance/, in a scripted order; any request off the script fails the test.
Everything above the socket is ccxt's real code: signing, status-code and error-code mapping, parsing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter

RECORDED = Path(__file__).parent / "recorded" / "binance"
TIMEOUT = "TIMEOUT"


class RecordedBinance(BaseAdapter):
    def __init__(self, script: list[tuple[str, str, str]]):
        super().__init__()
        self.script = list(script)
        self.requests: list[tuple[str, str, dict]] = []

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        params = dict(parse_qsl(parts.query))
        if request.body:
            body = request.body.decode() if isinstance(request.body, bytes) else request.body
            params.update(parse_qsl(body))
        self.requests.append((request.method, parts.path, params))
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
