"""The payment-method vault through the API (moto server, real localstripe and Amazon Pay sandbox): a
card kept as its gateway tokens, checked with each gateway, merchant-scoped, never a card number; a
payment by vault id carries the tokens of every gateway in its record."""

import json

import pytest

from smartpay_payment.adapters.vault import vault_key
from smartpay_payment.testing.api_events import call
from smartpay_payment.testing.servers import amazon_card_on_file, stripe_card

pytestmark = pytest.mark.integration



@pytest.fixture
def tokens(localstripe_server, amazon_sandbox):
    return {"stripe": stripe_card(localstripe_server.url), "amazon_pay": amazon_card_on_file(amazon_sandbox.url)}


def vault(tokens, merchant="m_acme"):
    return call("POST", "/payment-methods", {"customer_id": "c_1", "gateway_tokens": tokens}, merchant=merchant)


def get_method(vault_id, merchant="m_acme"):
    return call("GET", f"/payment-methods/{vault_id}", merchant=merchant, resource="/payment-methods/{vault_id}",
                params={"vault_id": vault_id})


def test_a_card_is_vaulted_once_with_a_token_per_gateway(wired, tokens, stack):
    status, body = vault(tokens)
    assert status == 201, body
    assert body["gateways"] == ["amazon_pay", "stripe"] and body["last4"] == "4242" and body["brand"] == "visa"
    assert (body["exp_month"], body["exp_year"]) == (12, 2030)  # as Stripe holds it, not as the client said
    assert "pm_" not in json.dumps(body)  # the tokens stay in the vault
    assert get_method(body["vault_id"]) == (200, body)
    assert get_method(body["vault_id"], merchant="m_other")[0] == 404
    item = stack("dynamodb").get_item(TableName=wired.saga.store.repo._table,
                                      Key={"payment_id": {"S": vault_key("m_acme", body["vault_id"])}})["Item"]
    assert item["merchant_id"]["S"] == "m_acme" and "4242424242424242" not in json.dumps(item)
    assert wired.saga.store.repo.all() == []  # vault items are no payments (reconcile, reindex scans)


def test_tokens_are_checked_with_their_gateways(wired, tokens, localstripe_server, amazon_sandbox):
    status, body = vault({**tokens, "stripe": "pm_doesnotexist"})
    assert status == 422 and body["errors"][0]["loc"] == ["body", "gateway_tokens", "stripe"]
    other_card = amazon_card_on_file(amazon_sandbox.url, last4="1111")
    status, body = vault({**tokens, "amazon_pay": other_card})
    assert status == 422 and "not one card" in body["detail"]
    status, body = vault({"stripe": "4242424242424242"})
    assert status == 422 and "4242424242424242" not in json.dumps(body)
    assert vault({"solana": "sol_x"})[0] == 422


def test_pay_by_vault_id_resolves_every_gateway_token_merchant_scoped(wired, tokens):
    vault_id = vault(tokens)[1]["vault_id"]
    body = {"amount": 1250, "currency": "USD", "customer_id": "c_1",
            "payment_method": {"type": "card", "vault_id": vault_id}}
    status, answer = call("POST", "/pay", body, headers={"Idempotency-Key": "v-1"})
    assert status == 202, answer
    payment = wired.saga.store.repo.get(answer["payment_id"]).payment
    assert payment.gateway_tokens == tokens and payment.payment_method.token == vault_id
    assert payment.payment_method.last4 == "4242" and payment.payment_method.brand == "visa"
    status, answer = call("POST", "/pay", body, merchant="m_other", headers={"Idempotency-Key": "v-1"})
    assert status == 422 and answer["errors"][0]["loc"] == ["body", "payment_method", "vault_id"]
    both = {**body, "payment_method": {"type": "card", "vault_id": vault_id, "token": "pm_x"}}
    assert call("POST", "/pay", both, headers={"Idempotency-Key": "v-2"})[0] == 422
    wallet = {**body, "payment_method": {"type": "amazon_pay", "vault_id": vault_id}}
    assert call("POST", "/pay", wallet, headers={"Idempotency-Key": "v-3"})[0] == 422  # a card, not a wallet
