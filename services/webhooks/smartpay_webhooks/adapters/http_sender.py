"""POST a delivery with urllib3, to an address the URL safety check just approved: the connection goes
to that IP (TLS still verifies the certificate for the host name), so a DNS answer that changes between
the check and the connect cannot point the request into the VPC. No redirects, no retries here (the
retry schedule is the deliverer's), one timeout for connect and read."""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence

import certifi
import urllib3

from smartpay_webhooks.domain.model import RESPONSE_BODY_LIMIT
from smartpay_webhooks.domain.url_safety import UnsafeUrl, UrlPolicy, check
from smartpay_webhooks.service_layer.ports import SendResult

USER_AGENT = "SmartPay-Webhooks/1"


def resolve(host: str, port: int) -> Sequence[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class HttpSender:
    def __init__(self, policy: UrlPolicy, timeout_seconds: float):
        self.policy, self.timeout = policy, timeout_seconds

    def check(self, url: str):
        return check(url, self.policy, resolve)

    def send(self, url: str, headers: dict[str, str], body: str, timeout_seconds: float | None = None) -> SendResult:
        started = time.perf_counter()
        limit = timeout_seconds or self.timeout
        try:
            target = self.check(url)
        except UnsafeUrl as exc:
            return SendResult(None, 0.0, error=f"refused: {exc}")
        address = target.addresses[0]
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        timeout = urllib3.Timeout(connect=limit, read=limit)
        if target.scheme == "https":
            pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
                address, target.port, timeout=timeout, retries=False, cert_reqs="CERT_REQUIRED",
                ca_certs=certifi.where(), server_hostname=target.host, assert_hostname=target.host)
        else:
            pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False)
        try:
            response = pool.urlopen("POST", target.path, body=body.encode(), redirect=False,
                                    preload_content=False, assert_same_host=False,
                                    headers={**headers, "Host": host_header, "User-Agent": USER_AGENT})
            try:
                text = response.read(RESPONSE_BODY_LIMIT * 4, decode_content=True).decode("utf-8", "replace")
            finally:
                response.release_conn()
            return SendResult(response.status, _ms(started), text[:RESPONSE_BODY_LIMIT])
        except urllib3.exceptions.TimeoutError:
            return SendResult(None, _ms(started), error=f"timeout after {limit:g} s")
        except urllib3.exceptions.HTTPError as exc:
            return SendResult(None, _ms(started), error=f"connection failed: {type(exc).__name__}")
        finally:
            pool.close()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
