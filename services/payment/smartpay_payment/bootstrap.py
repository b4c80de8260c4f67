"""Wire the adapters once per cold start (tests wire their own: see `build`)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from importlib.metadata import version

from smartpay_payment.adapters.gateways.base import Gateway
from smartpay_payment.adapters.idempotency import DynamoIdempotencyStore
from smartpay_payment.adapters.repository import DynamoPaymentRepository
from smartpay_payment.config import PaymentSettings, payment_settings
from smartpay_payment.service_layer.payments import PaymentService
from smartpay_payment.service_layer.saga import Saga
from smartpay_payment.service_layer.unit_of_work import PaymentStore
from smartpay_shared import aws
from smartpay_shared.config import platform_settings
from smartpay_shared.events.envelope import Producer
from smartpay_shared.runtime.publisher import EventPublisher

PRODUCER = Producer(service="payment", version=version("smartpay-payment"))


def build_gateways(settings: PaymentSettings) -> dict[str, Gateway]:
    gateways: dict[str, Gateway] = {}
    enabled = settings.enabled_gateways
    if "stripe" in enabled:
        from smartpay_payment.adapters.gateways.stripe_gateway import StripeGateway

        gateways["stripe"] = StripeGateway(settings.stripe_api_key.get_secret_value(), settings.stripe_api_base,
                                           settings.gateway_timeout_seconds)
    if "amazon_pay" in enabled:
        from smartpay_payment.adapters.gateways.amazon_pay_gateway import AmazonPayGateway

        gateways["amazon_pay"] = AmazonPayGateway(
            settings.amazon_pay_endpoint, settings.amazon_pay_public_key_id,
            settings.amazon_pay_private_key.get_secret_value(), timeout_seconds=settings.gateway_timeout_seconds)
    if "solana" in enabled:
        from smartpay_payment.adapters.gateways.solana_cluster import LiteSvmCluster, RpcCluster
        from smartpay_payment.adapters.gateways.solana_gateway import SandboxWallets, SolanaGateway

        if settings.solana_mode == "rpc":
            cluster = RpcCluster(settings.solana_rpc_url, settings.gateway_timeout_seconds)
        else:
            cluster = LiteSvmCluster()
        gateway = SolanaGateway(cluster, SandboxWallets(settings.solana_wallet_namespace))
        if isinstance(cluster, LiteSvmCluster):
            cluster.airdrop(gateway.operator.pubkey(), 1_000 * 10**9)
        elif settings.solana_operator_airdrop_lamports:
            cluster.airdrop(gateway.operator.pubkey(), settings.solana_operator_airdrop_lamports)
        gateways["solana"] = gateway
    return gateways


def build(settings: PaymentSettings, dynamodb, events, gateways: dict[str, Gateway], bus_name: str,
          clock=None) -> PaymentService:
    store = PaymentStore(DynamoPaymentRepository(dynamodb, settings.payments_table), EventPublisher(events, bus_name),
                         PRODUCER)
    kwargs = {"clock": clock} if clock else {}
    saga = Saga(store, gateways, max_attempts=settings.max_attempts,
                deadline=timedelta(seconds=settings.saga_deadline_seconds), **kwargs)
    return PaymentService(saga, DynamoIdempotencyStore(dynamodb, settings.idempotency_table,
                                                       settings.idempotency_ttl_seconds))


@lru_cache(maxsize=1)
def service() -> PaymentService:
    settings = payment_settings()
    return build(settings, aws.client("dynamodb"), aws.client("events"), build_gateways(settings),
                 platform_settings().event_bus)
