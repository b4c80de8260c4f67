"""boto3 clients built once per process; the endpoint comes from AWS_ENDPOINT_URL (moto, LocalStack, AWS)."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from smartpay_shared.config import platform_settings

_lock = threading.Lock()
_clients: dict[tuple[str, str | None, str], Any] = {}
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


def client(service: str, *, endpoint_url: str | None = None, region: str | None = None) -> Any:
    settings = platform_settings()
    endpoint = endpoint_url or settings.endpoint_url
    region_name = region or settings.region
    key = (service, endpoint, region_name)
    with _lock:
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(
                service, endpoint_url=endpoint, region_name=region_name, config=_CONFIG
            )
        return _clients[key]
