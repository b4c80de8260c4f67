"""Fixtures shared by the cross-service suites (tests/*)."""

import pytest

from smartpay_shared.testing import MotoServer


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """A private moto server (our wrapper: DynamoDB atomicity, request counts) for one module, on a free port."""
    server = MotoServer(log_path=tmp_path_factory.mktemp("moto") / "moto.log").start()
    try:
        yield server.url
    finally:
        server.stop()
