"""The whole HTTP surface in one process, on real dependencies and without the local stack lock:
its own moto server (Cognito, DynamoDB, S3, EventBridge), the real Redis, a real localstripe, the
local gateway app (real JWKS verification, per-merchant rate limit in Redis set high, body limit) in front of the four services'
unchanged API handlers, each wired on those dependencies. Real Cognito users, made by the admin path
(`smartpay auth create-user`: the merchant attribute and the group `merchant:<id>` that confirms it):
merchant A, merchant B and an admin-only operator; an expired token signed by the pool's own key."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
import redis
from jwt.algorithms import RSAAlgorithm
from moto.utilities.utils import load_resource
from typer.testing import CliRunner

from smartpay_shared.cli.auth import app as auth_cli
from smartpay_shared.config import platform_settings
from smartpay_shared.local.gateway import GatewaySettings, create_gateway
from smartpay_shared.testing import MotoServer, merchant_claims

REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "Security-Matrix-Passw0rd!"
MERCHANT_A, MERCHANT_B = "m_iso_a", "m_iso_b"
BUS = "smartpay-security-bus"


@dataclass
class Platform:
    gateway: Any
    tokens: dict[str, str | None]
    state: dict[str, Any] = field(default_factory=dict)


def _cli(*args: str) -> str:
    result = CliRunner().invoke(auth_cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def _expired(pool: str, client: str) -> str:
    key = RSAAlgorithm.from_jwk(json.dumps(load_resource("cognitoidp/resources/jwks-private.json")))
    now = int(time.time())
    claims = {"iss": f"https://cognito-idp.us-east-1.amazonaws.com/{pool}", "aud": client, "sub": "u-expired",
              "token_use": "id", "iat": now - 7200, "exp": now - 3600, **merchant_claims(MERCHANT_A, token=True)}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


HARDENING = Path(__file__).resolve().parents[2] / "infra" / "terraform" / "modules" / "cognito" / "hardening.json"
MERCHANT_ATTRIBUTE = "merchant_id"


def cognito_hardening() -> dict[str, Any]:
    """The pool and client settings of the Terraform module (modules/cognito/hardening.json), with the
    merchant claim added to the readable attributes exactly as main.tf does."""
    settings = json.loads(HARDENING.read_text())
    claim = f"custom:{MERCHANT_ATTRIBUTE}"
    settings["read_attributes"] = sorted({*settings["read_attributes"], claim})
    settings["write_attributes"] = sorted(set(settings["write_attributes"]))
    assert claim not in settings["write_attributes"], "hardening.json must never make the merchant user-writable"
    return settings


def _cognito(idp) -> tuple[str, str]:
    """A pool hardened like the deployed one: no self sign-up, the merchant not user-writable, optional TOTP."""
    h = cognito_hardening()
    pool = idp.create_user_pool(
        PoolName=f"security-{uuid.uuid4().hex[:8]}", UsernameAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": h["allow_admin_create_user_only"]},
        MfaConfiguration=h["mfa_configuration"],
        Schema=[{"Name": MERCHANT_ATTRIBUTE, "AttributeDataType": "String",
                 "Mutable": h["merchant_attribute_mutable"],
                 "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"}}])["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration=h["mfa_configuration"],
                                 SoftwareTokenMfaConfiguration={"Enabled": h["software_token_mfa"]})
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=h["explicit_auth_flows"],
        PreventUserExistenceErrors=h["prevent_user_existence_errors"],
        ReadAttributes=h["read_attributes"], WriteAttributes=h["write_attributes"])["UserPoolClient"]["ClientId"]
    return pool, client


USERS = {"merchant_a": ("a@iso.example", ["--merchant-id", MERCHANT_A]),
         "merchant_b": ("b@iso.example", ["--merchant-id", MERCHANT_B]),
         "admin": ("ops@iso.example", ["--admin"])}


def _tokens(pool: str, client: str) -> dict[str, str | None]:
    tokens: dict[str, str | None] = {}
    for name, (email, extra) in USERS.items():
        _cli("create-user", "--email", email, "--password", PASSWORD, *extra, "--user-pool-id", pool)
        tokens[name] = _cli("token", "--email", email, "--password", PASSWORD, "--client-id", client)
    tokens["none"] = None
    tokens["expired"] = _expired(pool, client)
    return tokens


def _wire_payment(make, mp, stripe_url: str) -> dict[str, Any]:
    from smartpay_payment import bootstrap
    from smartpay_payment.adapters.gateways.stripe_gateway import StripeGateway
    from smartpay_payment.config import PaymentSettings
    from smartpay_payment.testing.stack import create_tables

    settings = PaymentSettings(max_attempts=3, saga_deadline_seconds=60, outbox_grace_seconds=0)
    create_tables(make("dynamodb"), settings)
    service = bootstrap.build(settings, make("dynamodb"), make("events"),
                              {"stripe": StripeGateway("sk_test_local", stripe_url, 5)}, BUS)
    mp.setattr(bootstrap, "service", lambda: service)
    return {"service": service}


def _wire_fraud(make, mp, tmp: Path) -> None:
    from smartpay_fraud import bootstrap
    from smartpay_fraud.adapters.redis_store import RedisFeatureStore
    from smartpay_fraud.config import FraudSettings
    from smartpay_fraud.domain.dataset import normalise
    from smartpay_fraud.domain.synthetic import GeneratorConfig, generate
    from smartpay_fraud.service_layer.training import TrainingConfig, train

    prefix = f"security-fraud-{uuid.uuid4().hex[:8]}"
    settings = FraudSettings(model_bucket="smartpay-security-models", cache_dir=tmp / "fraud-cache",
                             redis_url=REDIS_URL, redis_prefix=prefix)
    trained = train(normalise(generate(GeneratorConfig(customers=200, days=10, seed=3)), amount_unit="minor"),
                    TrainingConfig(rounds=20, sage=False, seed=3, serving_only=True), source={"generator": "security"})
    make("s3").create_bucket(Bucket=settings.model_bucket)
    bootstrap.registry(settings, make("s3")).publish(trained.bundle)
    store = RedisFeatureStore(redis.Redis.from_url(REDIS_URL), prefix=prefix)
    service = bootstrap.build_scoring_service(settings, s3=make("s3"), store=store)
    mp.setattr(bootstrap, "_service", service)
    return store


def _wire_routing(make, mp) -> str:
    from smartpay_routing.config import routing_settings
    from smartpay_routing.entrypoints import api

    prefix = f"security-routing-{uuid.uuid4().hex[:8]}:"
    mp.setenv("ROUTING_KEY_PREFIX", prefix)
    routing_settings.cache_clear()
    make("s3").create_bucket(Bucket=routing_settings().bucket)
    api._state.clear()
    return prefix


def _wire_chat(make, mp, tmp: Path, payment_a: str) -> None:
    from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex
    from smartpay_chat.config import chat_settings
    from smartpay_chat.domain.document import build_document
    from smartpay_chat.entrypoints import api
    from smartpay_shared.events.payloads import PaymentSnapshot

    path = tmp / "chat" / "payments.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    mp.setenv("CHAT_INDEX_PATH", str(path))
    mp.setenv("CHAT_INDEX_BACKEND", "embedded")
    for cached in (api.chat, api.index, chat_settings):
        cached.cache_clear()
    make("dynamodb").create_table(
        TableName=chat_settings().sessions_table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"},
                              {"AttributeName": "turn", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}, {"AttributeName": "turn", "KeyType": "RANGE"}])
    created = datetime.now(UTC) - timedelta(hours=1)
    snapshot = PaymentSnapshot(version=3, status="captured", amount=1250, currency="USD", method="card",
                               card_last4="4242", country="US", customer_id="c_1", gateway="stripe",
                               captured_amount=1250, created_at=created, completed_at=created + timedelta(seconds=1))
    SharedFileDuckDBIndex(path).upsert(build_document(MERCHANT_A, payment_a, snapshot))


def _captured_payment(service, card: str) -> str:
    """A payment of merchant A driven to captured on localstripe through the real saga."""
    from smartpay_payment.testing.api_events import call
    from smartpay_shared.events import payloads as p
    from smartpay_shared.events.envelope import Producer, new_envelope

    body = {"amount": 1250, "currency": "USD", "customer_id": "c_1", "country": "US",
            "payment_method": {"type": "card", "token": card, "last4": "4242", "brand": "visa"}}
    status, answer = call("POST", "/pay", body, merchant=MERCHANT_A, headers={"Idempotency-Key": "iso-setup-1"})
    assert status == 202, answer
    pid = answer["payment_id"]
    producer = Producer(service="routing", version="0.1.0")
    service.saga.handle(new_envelope(p.FraudAssessed(
        payment_id=pid, merchant_id=MERCHANT_A, score=0.1, decision="approve", model_version="m",
        threshold_version="t", payment=p.PaymentContext(amount=1250, currency="USD", method="card")),
        producer=producer, correlation_id=pid))
    service.saga.handle(new_envelope(p.RouteSelected(
        payment_id=pid, merchant_id=MERCHANT_A, attempt=1, gateway="stripe", propensity=1.0, policy_version="v",
        explanation="only"), producer=producer, correlation_id=pid))
    return pid


def _wire_webhooks(make, mp) -> None:
    """The webhooks API on its tables, the platform key and the delivery queue; the local target's URL policy
    (loopback allowed, as local.tfvars sets it): the matrix's endpoints point at 127.0.0.1:9, where nothing is
    delivered (no deliverer runs here)."""
    from smartpay_webhooks import bootstrap
    from smartpay_webhooks.config import webhooks_settings

    ddb = make("dynamodb")
    for table, hash_key, range_key in (("smartpay-webhook-endpoints", "merchant_id", "endpoint_id"),
                                       ("smartpay-webhook-deliveries", "endpoint_id", "delivery_id")):
        ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in (hash_key, range_key)],
                         KeySchema=[{"AttributeName": hash_key, "KeyType": "HASH"},
                                    {"AttributeName": range_key, "KeyType": "RANGE"}])
    make("sqs").create_queue(QueueName="smartpay-webhooks-deliveries")
    for key, value in {"WEBHOOKS_KMS_KEY_ID": make("kms").create_key()["KeyMetadata"]["Arn"],
                       "WEBHOOKS_REQUIRE_HTTPS": "false", "WEBHOOKS_ALLOW_LOOPBACK": "true",
                       "WEBHOOKS_MAX_ENDPOINTS_PER_MERCHANT": "100000"}.items():  # the fuzzer creates many
        mp.setenv(key, value)
    webhooks_settings.cache_clear()
    bootstrap.service.cache_clear()


def _wire_rewards(make, mp, payment_a: str):
    """The rewards API on its tables (as Terraform creates them), merchant A's customer c_1 credited for the
    session's captured payment through the ledger's own use case (no rewards worker runs here); the chain a
    real Solana VM (LiteSVM) set up by the service's own chain-setup (keys into this moto's Secrets Manager),
    c_1's wallet linked by a signed challenge and its points minted. Returns the wallet's keypair."""
    from datetime import UTC, datetime

    from solders.keypair import Keypair

    from smartpay_rewards import bootstrap
    from smartpay_rewards.chain.cluster import LiteSvmCluster
    from smartpay_rewards.config import rewards_settings
    from smartpay_rewards.domain.model import Capture
    from smartpay_rewards.service_layer import ledger, onchain
    from smartpay_rewards.service_layer.chain_setup import ensure_chain
    from smartpay_rewards.testing import create_tables

    create_tables(make("dynamodb"))
    rewards_settings.cache_clear()
    bootstrap.service.cache_clear()
    rewards = bootstrap.service()
    ledger.apply_captured(Capture(MERCHANT_A, "c_1", payment_a, "evt-security-capture", "USD", 1250, datetime.now(UTC)),
                          rewards.uow, rewards.rates)
    rewards.cluster = LiteSvmCluster()
    ensure_chain(rewards.uow, make("secretsmanager"), rewards.cluster, rewards.settings, seed_points=100_000,
                 seed_lamports=10**9)
    wallet = Keypair()
    challenge = onchain.issue_challenge(MERCHANT_A, "c_1", str(wallet.pubkey()), rewards.uow, rewards.verifier)
    onchain.link_wallet(MERCHANT_A, "c_1", challenge.nonce, str(wallet.sign_message(challenge.message)), rewards.uow,
                        rewards.verifier)
    onchain.mint_run(rewards.uow, rewards.chain().minter)
    return wallet


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    import stripe

    from smartpay_payment.testing.servers import LocalStripe

    tmp = tmp_path_factory.mktemp("security")
    with MotoServer() as moto, LocalStripe() as localstripe, pytest.MonkeyPatch.context() as mp:
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                           "AWS_ENDPOINT_URL": moto.url, "SMARTPAY_BUS_NAME": BUS}.items():
            mp.setenv(key, value)
        platform_settings.cache_clear()

        def make(name: str) -> Any:
            return boto3.client(name, endpoint_url=moto.url, region_name="us-east-1")

        make("events").create_event_bus(Name=BUS)
        pool, client = _cognito(make("cognito-idp"))
        tokens = _tokens(pool, client)
        payment = _wire_payment(make, mp, localstripe.url)
        card = stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe.url}).v1.payment_methods.create(
            params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030,
                                             "cvc": "123"}}).id
        payment_a = _captured_payment(payment["service"], card)
        fraud_store = _wire_fraud(make, mp, tmp)
        routing_prefix = _wire_routing(make, mp)
        _wire_chat(make, mp, tmp, payment_a)
        _wire_webhooks(make, mp)
        rewards_wallet = _wire_rewards(make, mp, payment_a)
        settings = GatewaySettings(host="127.0.0.1", port=0, user_pool_id=pool, client_id=client,
                                   endpoint_url=moto.url, region="us-east-1", redis_url=REDIS_URL,
                                   # the real limiter on the real Redis, high enough that fuzzing never
                                   # reaches it (the 429 itself is tested in shared/tests/integration)
                                   rate_limit_per_second=10_000, rate_limit_burst=100_000)
        gateway = create_gateway(settings, in_process=True)  # the services are wired in this process above
        state = {"payment_a": payment_a, "card": card, "moto": moto, "user_pool_id": pool, "client_id": client,
                 "password": PASSWORD, "users": {name: email for name, (email, _) in USERS.items()},
                 "merchants": {"merchant_a": MERCHANT_A, "merchant_b": MERCHANT_B},
                 "rewards_wallet": rewards_wallet}
        yield Platform(gateway=gateway, tokens=tokens, state=state)
        platform_settings.cache_clear()
        fraud_store.clear()
        r = redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(match=routing_prefix + "*", count=500))
        if keys:
            r.delete(*keys)
