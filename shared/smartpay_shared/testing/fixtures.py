"""pytest fixtures for every package's tests (loaded by the repository's root conftest.py):
one real moto server per test session, and boto3 clients on it, reset for each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from smartpay_shared.config import platform_settings
from smartpay_shared.testing.moto import MotoServer


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture
def aws(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Any]]:
    """`aws("sqs")` -> a boto3 client on a freshly reset moto server; AWS_* env points at it too."""
    moto_server.reset()
    platform_settings.cache_clear()  # settings read at "cold start" must see this test's endpoint
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": moto_server.url}.items():
        monkeypatch.setenv(key, value)

    def make(service: str) -> Any:
        return boto3.client(service, endpoint_url=moto_server.url, region_name="us-east-1")

    yield make
    platform_settings.cache_clear()
