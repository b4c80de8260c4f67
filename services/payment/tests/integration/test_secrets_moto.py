"""Gateway credentials through Secrets Manager on a real moto server: `smartpay payment put-secrets` puts
them (idempotent), the cold start reads each secret once and charges with it on localstripe, the Amazon
Pay sandbox and LiteSVM, and no secret value reaches a log line, a repr or an error message."""

import io
import json
import logging
import uuid

import pytest
import stripe
from typer.testing import CliRunner

from smartpay_payment import bootstrap
from smartpay_payment.domain.charges import ChargeRequest
from smartpay_payment.adapters.secrets import CredentialsError, SecretStore, parse_secret_string, secret_values
from smartpay_payment.config import payment_settings
from smartpay_payment.entrypoints.cli import app
from smartpay_payment.testing.servers import AmazonPaySandbox, LocalStripe, amazon_checkout_session, amazon_profile
from smartpay_shared import aws as shared_aws

pytestmark = pytest.mark.integration
IDS = ("smartpay/payment/stripe", "smartpay/payment/amazon-pay", "smartpay/payment/solana-fee-payer")


@pytest.fixture(scope="module")
def servers():
    """Our own localstripe and Amazon Pay sandbox: the charges made here stay out of other tests' ledgers."""
    with LocalStripe() as localstripe, AmazonPaySandbox() as amazon:
        yield localstripe, amazon


@pytest.fixture
def localstripe_server(servers):
    return servers[0]


@pytest.fixture
def amazon_sandbox(servers):
    return servers[1]


@pytest.fixture
def local(aws, monkeypatch, localstripe_server, amazon_sandbox):
    monkeypatch.setenv("PAYMENT_STRIPE_API_BASE", localstripe_server.url)
    monkeypatch.setenv("PAYMENT_AMAZON_PAY_ENDPOINT", amazon_sandbox.url)
    monkeypatch.setenv("PAYMENT_SOLANA_MODE", "litesvm")
    for name in ("PAYMENT_STRIPE_API_KEY", "PAYMENT_AMAZON_PAY_PRIVATE_KEY", "PAYMENT_SOLANA_FEE_PAYER_KEY"):
        monkeypatch.delenv(name, raising=False)
    payment_settings.cache_clear()
    yield aws
    payment_settings.cache_clear()


def _stored(aws) -> dict[str, dict]:
    client = aws("secretsmanager")
    return {sid: parse_secret_string(client.get_secret_value(SecretId=sid)["SecretString"]) for sid in IDS}


def _request(token: str) -> ChargeRequest:
    return ChargeRequest(reference=f"pay_{uuid.uuid4().hex[:12]}-1", amount=1500, currency="USD",
                         method_token=token, customer_id="c_1", merchant_id="m_acme")


def test_put_secrets_is_idempotent_and_registers_the_amazon_pay_key(local):
    runner = CliRunner()
    first = runner.invoke(app, ["put-secrets"])
    assert first.exit_code == 0, first.output
    assert [line.split(": ")[1] for line in first.output.splitlines()[:3]] == ["created"] * 3
    stored = _stored(local)
    again = runner.invoke(app, ["put-secrets"])
    assert again.exit_code == 0, again.output
    assert [line.split(": ")[1] for line in again.output.splitlines()[:3]] == ["kept"] * 3
    assert _stored(local) == stored  # the same values: nothing rotated behind the workers' backs
    assert stored[IDS[0]]["api_key"].startswith("sk_test_")
    assert stored[IDS[1]]["public_key_id"] in again.output  # registered with the sandbox again
    for value in secret_values(stored):
        assert value not in first.output + again.output


def test_put_secrets_replaces_an_invalid_value_and_fills_a_terraform_created_secret(local):
    client = local("secretsmanager")
    client.create_secret(Name=IDS[0])  # what Terraform leaves: the secret, no value
    client.create_secret(Name=IDS[1], SecretString=json.dumps({"public_key_id": "X", "private_key": "not a pem"}))
    result = CliRunner().invoke(app, ["put-secrets"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == [f"{IDS[0]}: put", f"{IDS[1]}: put", f"{IDS[2]}: created"]
    assert _stored(local)[IDS[1]]["private_key"].startswith("-----BEGIN PRIVATE KEY-----")


def test_put_secrets_refuses_a_non_local_endpoint(local, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://secretsmanager.us-east-1.amazonaws.com")
    result = CliRunner().invoke(app, ["put-secrets"])
    assert result.exit_code == 2
    assert local("secretsmanager").list_secrets()["SecretList"] == []


def test_cold_start_charges_with_the_stored_credentials_and_logs_no_secret(local, localstripe_server,
                                                                           amazon_sandbox, caplog, capfd):
    assert CliRunner().invoke(app, ["put-secrets"]).exit_code == 0
    stored = _stored(local)
    caplog.set_level(logging.DEBUG, logger="smartpay_payment")
    caplog.set_level(logging.DEBUG, logger="aws_lambda_powertools")
    from smartpay_payment.entrypoints.api import logger as service_logger  # the Powertools Logger

    # Its JSON output, whatever stream its own handler was bound to when it was created.
    powertools_out = io.StringIO()
    tap = logging.StreamHandler(powertools_out)
    tap.setFormatter(service_logger.registered_formatter)
    service_logger.addHandler(tap)
    # WHEN a cold start builds the connectors and each charges once
    gateways = bootstrap.build_gateways(payment_settings())
    pm = stripe.StripeClient("sk_test_other", base_addresses={"api": localstripe_server.url}).v1.payment_methods \
        .create(params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030,
                                                 "cvc": "123"}}).id
    assert gateways["stripe"].authorize(_request(pm)).status == "authorized"
    amazon_profile(amazon_sandbox.url, approval="approve", error_rate=0.0)
    assert gateways["amazon_pay"].authorize(_request(amazon_checkout_session(amazon_sandbox.url))).status == \
        "authorized"
    assert str(gateways["solana"].operator.pubkey()) == stored[IDS[2]]["public_key"]
    service_logger.info("gateways ready", extra={"gateways": {k: repr(v) for k, v in gateways.items()}})
    bad = SecretStore(local("secretsmanager"))
    local("secretsmanager").create_secret(Name="broken", SecretString="x" + stored[IDS[0]]["api_key"])
    with pytest.raises(CredentialsError) as refused:
        bad.json("broken")
    service_logger.exception("cold start failed", exc_info=refused.value)

    service_logger.removeHandler(tap)

    # THEN no secret value (nor a line of the PEM key) is in any log output, repr or error
    out, err = capfd.readouterr()
    seen = "\n".join([caplog.text, powertools_out.getvalue(), out, err, str(refused.value),
                      *map(repr, gateways.values())])
    records = [json.loads(line) for line in powertools_out.getvalue().splitlines() if line.startswith("{")]
    assert [r["message"] for r in records] == ["gateways ready", "cold start failed"]  # captured, as JSON
    assert "CredentialsError" in powertools_out.getvalue()  # the failure's traceback is in it too
    values = secret_values(stored)
    needles = values + [line for v in values for line in v.splitlines() if len(line) >= 16 and "-----" not in line]
    leaked = [n[:6] for n in needles if n in seen]
    assert leaked == []


def test_each_secret_is_read_once_per_cold_start(local):
    assert CliRunner().invoke(app, ["put-secrets"]).exit_code == 0
    client = shared_aws.client("secretsmanager")
    calls = []
    client.meta.events.register("before-call.secrets-manager.GetSecretValue", lambda **kw: calls.append(1))
    try:
        store = bootstrap.secret_store(payment_settings())
        bootstrap.build_gateways(payment_settings(), store)
        bootstrap.build_gateways(payment_settings(), store)  # warm: from the cache
    finally:
        client.meta.events.unregister("before-call.secrets-manager.GetSecretValue")
    assert len(calls) == 3


def test_a_missing_or_malformed_secret_fails_the_cold_start_naming_only_the_secret(local):
    with pytest.raises(CredentialsError, match="smartpay/payment/stripe"):
        bootstrap.build_gateways(payment_settings().model_copy(update={"gateways": "stripe"}))
    local("secretsmanager").create_secret(Name=IDS[2], SecretString=json.dumps({"secret_key": "tooShort-s3cr3t"}))
    with pytest.raises(CredentialsError) as refused:
        bootstrap.build_gateways(payment_settings().model_copy(update={"gateways": "solana"}))
    assert IDS[2] in str(refused.value) and "tooShort-s3cr3t" not in str(refused.value)


def test_explicit_settings_replace_the_secret_for_tests(local, monkeypatch, caplog):
    monkeypatch.setenv("PAYMENT_STRIPE_API_KEY", "sk_test_explicit")
    payment_settings.cache_clear()
    with caplog.at_level(logging.WARNING, logger="smartpay_payment"):
        gateways = bootstrap.build_gateways(payment_settings().model_copy(update={"gateways": "stripe"}))
    assert "stripe" in gateways and "tests only" in caplog.text  # no secret needed, and it says so
    assert "sk_test_explicit" not in caplog.text
