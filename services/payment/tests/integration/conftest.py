"""Fixtures: a real moto server (tables + bus), real localstripe and Amazon Pay sandbox processes, a
real LiteSVM, and the payment service wired on them."""

import uuid
from datetime import UTC, datetime

import pytest

from smartpay_payment import bootstrap
from smartpay_payment.adapters.gateways.amazon_pay_gateway import AmazonPayGateway
from smartpay_payment.adapters.gateways.solana_cluster import LiteSvmCluster
from smartpay_payment.adapters.gateways.solana_gateway import SandboxWallets, SolanaGateway
from smartpay_payment.adapters.gateways.stripe_gateway import StripeGateway
from smartpay_payment.config import PaymentSettings
from smartpay_payment.sandbox.amazon_pay_auth import sandbox_merchant_key
from smartpay_payment.testing.servers import AmazonPaySandbox, LocalStripe
from smartpay_payment.testing.stack import create_tables
from smartpay_shared.testing import EventListener

BUS = "smartpay-test-bus"


@pytest.fixture(scope="session")
def localstripe_server():
    with LocalStripe() as server:
        yield server


@pytest.fixture(scope="session")
def amazon_sandbox():
    with AmazonPaySandbox() as server:
        yield server


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def settings():
    return PaymentSettings(max_attempts=3, saga_deadline_seconds=60, outbox_grace_seconds=0)


@pytest.fixture
def stack(aws, settings):
    create_tables(aws("dynamodb"), settings)
    aws("events").create_event_bus(Name=BUS)
    return aws


@pytest.fixture
def gateways(localstripe_server, amazon_sandbox):
    cluster = LiteSvmCluster()
    solana = SolanaGateway(cluster, SandboxWallets(f"it-{uuid.uuid4().hex[:6]}"))
    cluster.airdrop(solana.operator.pubkey(), 100 * 10**9)
    return {"stripe": StripeGateway("sk_test_local", localstripe_server.url, 5),
            "amazon_pay": AmazonPayGateway(amazon_sandbox.url, *sandbox_merchant_key(amazon_sandbox.url),
                                           timeout_seconds=5),
            "solana": solana}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def service(stack, settings, gateways, clock):
    return bootstrap.build(settings, stack("dynamodb"), stack("events"), gateways, BUS, clock=clock)


@pytest.fixture
def wired(service, monkeypatch):
    """The API and queue handlers built on this test's service (bootstrap.service() returns it)."""
    monkeypatch.setattr(bootstrap, "service", lambda: service)
    return service


@pytest.fixture
def listener(stack):
    with EventListener(stack("events"), stack("sqs"), BUS) as events:
        yield events
