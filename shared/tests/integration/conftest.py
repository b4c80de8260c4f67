import boto3
import pytest

from smartpay_shared.testing import MotoServer


@pytest.fixture(scope="session")
def moto_server():
    with MotoServer() as server:
        yield server


@pytest.fixture
def aws(moto_server, monkeypatch):
    """boto3 clients on a freshly reset moto server."""
    moto_server.reset()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": moto_server.url}.items():
        monkeypatch.setenv(key, value)

    def make(service):
        return boto3.client(service, endpoint_url=moto_server.url, region_name="us-east-1")

    return make
