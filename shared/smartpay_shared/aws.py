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
# A model endpoint is on a payment's path: a hung one must fail fast, so routing falls back to its in-process
# model and fraud answers 503 well inside the function's timeout (at most 2 x (1 + 2) s).
ENDPOINT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=1, read_timeout=2)
_CONFIGS = {"sagemaker-runtime": ENDPOINT_CONFIG}


def client(service: str, *, endpoint_url: str | None = None, region: str | None = None) -> Any:
    settings = platform_settings()
    endpoint = endpoint_url or settings.endpoint_url
    region_name = region or settings.region
    key = (service, endpoint, region_name)
    with _lock:
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(
                service, endpoint_url=endpoint, region_name=region_name, config=_CONFIGS.get(service, _CONFIG)
            )
        return _clients[key]
