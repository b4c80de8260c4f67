"""Wire the adapters once per cold start (tests wire their own: see `build`)."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache
from importlib.metadata import version

from smartpay_payment.adapters.idempotency import DynamoIdempotencyStore
from smartpay_payment.adapters.repository import DynamoPaymentRepository
from smartpay_payment.adapters.secrets import SecretStore, amazon_pay_credentials, solana_fee_payer, stripe_credentials
from smartpay_payment.adapters.vault import DynamoVault
from smartpay_payment.config import PaymentSettings, payment_settings
from smartpay_payment.service_layer.payments import PaymentService
from smartpay_payment.service_layer.ports import Gateway, GatewayLedger
from smartpay_payment.service_layer.saga import Saga
from smartpay_payment.service_layer.unit_of_work import UnitOfWork
from smartpay_payment.service_layer.vault import VaultService
from smartpay_shared import aws
from smartpay_shared.config import platform_settings
from smartpay_shared.events.envelope import Producer
from smartpay_shared.runtime.publisher import EventPublisher

PRODUCER = Producer(service="payment", version=version("smartpay-payment"))
log = logging.getLogger(__name__)


def _explicit(gateway: str) -> None:
    log.warning("%s credentials from settings, not Secrets Manager: tests only", gateway)


def _stripe_key(settings: PaymentSettings, secrets: SecretStore) -> str:
    if settings.stripe_api_key:
        _explicit("stripe")
        return settings.stripe_api_key.get_secret_value()
    return stripe_credentials(secrets, settings.stripe_secret_id).api_key


def _amazon_pay_keys(settings: PaymentSettings, secrets: SecretStore) -> tuple[str, str]:
    if settings.amazon_pay_private_key and settings.amazon_pay_public_key_id:
        _explicit("amazon_pay")
        return settings.amazon_pay_public_key_id, settings.amazon_pay_private_key.get_secret_value()
    found = amazon_pay_credentials(secrets, settings.amazon_pay_secret_id)
    return found.public_key_id, found.private_key


def _fee_payer(settings: PaymentSettings, secrets: SecretStore):
    from solders.keypair import Keypair

    if settings.solana_fee_payer_key:
        _explicit("solana")
        return Keypair.from_base58_string(settings.solana_fee_payer_key.get_secret_value())
    return solana_fee_payer(secrets, settings.solana_fee_payer_secret_id).keypair()


def secret_store(settings: PaymentSettings) -> SecretStore:
    return SecretStore(aws.client("secretsmanager"), settings.secrets_max_age_seconds)


def build_gateways(settings: PaymentSettings, secrets: SecretStore | None = None) -> dict[str, Gateway]:
    """Credentials come from Secrets Manager (cached by `secrets`); a missing or malformed secret fails here."""
    secrets = secrets or secret_store(settings)
    gateways: dict[str, Gateway] = {}
    enabled = settings.enabled_gateways
    if "stripe" in enabled:
        from smartpay_payment.adapters.gateways.stripe_gateway import StripeGateway

        gateways["stripe"] = StripeGateway(_stripe_key(settings, secrets), settings.stripe_api_base,
                                           settings.gateway_timeout_seconds)
    if "amazon_pay" in enabled:
        from smartpay_payment.adapters.gateways.amazon_pay_gateway import AmazonPayGateway

        key_id, private_key = _amazon_pay_keys(settings, secrets)
        gateways["amazon_pay"] = AmazonPayGateway(settings.amazon_pay_endpoint, key_id, private_key,
                                                  timeout_seconds=settings.gateway_timeout_seconds)
    if "solana" in enabled:
        from smartpay_payment.adapters.gateways.solana_cluster import LiteSvmCluster, RpcCluster
        from smartpay_payment.adapters.gateways.solana_gateway import SandboxWallets, SolanaGateway

        if settings.solana_mode == "rpc":
            cluster = RpcCluster(settings.solana_rpc_url, settings.gateway_timeout_seconds)
        else:
            cluster = LiteSvmCluster()
        gateway = SolanaGateway(cluster, SandboxWallets(settings.solana_wallet_namespace),
                                operator=_fee_payer(settings, secrets))
        if isinstance(cluster, LiteSvmCluster):
            cluster.airdrop(gateway.operator.pubkey(), 1_000 * 10**9)
        elif settings.solana_operator_airdrop_lamports:
            cluster.airdrop(gateway.operator.pubkey(), settings.solana_operator_airdrop_lamports)
        gateways["solana"] = gateway
    return gateways


def probe_ledgers(gateways: dict[str, Gateway]) -> dict[str, GatewayLedger]:
    """Per-attempt ledger readers (the ledger check of one payment): status reads, and for Solana the
    on-chain refund receipts."""
    from smartpay_payment.adapters.ledgers.probe import ProbeLedger
    from smartpay_payment.adapters.ledgers.solana import SolanaLedger

    return {name: SolanaLedger(g) if name == "solana" else ProbeLedger(g) for name, g in gateways.items()}


def build_ledgers(settings: PaymentSettings, gateways: dict[str, Gateway]) -> dict[str, GatewayLedger]:
    """The readers reconciliation uses: listing ones where the gateway can list (Stripe, the Amazon Pay
    sandbox), per-attempt probes elsewhere."""
    from smartpay_payment.adapters.ledgers import amazon_pay
    from smartpay_payment.adapters.ledgers.stripe import StripeLedger

    ledgers = probe_ledgers(gateways)
    if "stripe" in gateways:
        ledgers["stripe"] = StripeLedger(_stripe_key(settings, secret_store(settings)), settings.stripe_api_base,
                                         settings.gateway_timeout_seconds)
    if "amazon_pay" in gateways and amazon_pay.is_sandbox(settings.amazon_pay_endpoint):
        ledgers["amazon_pay"] = amazon_pay.AmazonPaySandboxLedger(settings.amazon_pay_endpoint,
                                                                  settings.gateway_timeout_seconds)
    return ledgers


def unit_of_work(settings: PaymentSettings, dynamodb, events, bus_name: str) -> UnitOfWork:
    """The payments table and the bus, without gateways (what `smartpay payment import` needs)."""
    return UnitOfWork(DynamoPaymentRepository(dynamodb, settings.payments_table), EventPublisher(events, bus_name),
                      PRODUCER)


def build(settings: PaymentSettings, dynamodb, events, gateways: dict[str, Gateway], bus_name: str,
          clock=None) -> PaymentService:
    uow = unit_of_work(settings, dynamodb, events, bus_name)
    kwargs = {"clock": clock} if clock else {}
    vault = DynamoVault(dynamodb, settings.payments_table)  # vault items live in the payments table
    saga = Saga(uow, gateways, max_attempts=settings.max_attempts,
                deadline=timedelta(seconds=settings.saga_deadline_seconds),
                fault_injection=settings.fault_injection, vault=vault,
                outbox_grace=timedelta(seconds=settings.outbox_grace_seconds), ledgers=probe_ledgers(gateways),
                **kwargs)
    return PaymentService(saga, DynamoIdempotencyStore(dynamodb, settings.idempotency_table,
                                                       settings.idempotency_ttl_seconds), VaultService(vault, gateways))


@lru_cache(maxsize=1)
def service() -> PaymentService:
    settings = payment_settings()
    return build(settings, aws.client("dynamodb"), aws.client("events"), build_gateways(settings),
                 platform_settings().event_bus)
