"""One request contract per field (issue #13 item 5): what `/pay` accepts, fraud scores and every
event payload carries, so that a 202 can never dead-letter on validation; amounts are JSON integers
in strict mode on every route; and the body checks that keep input from ever causing a 5xx, through
the real gateway in front of the real services (conftest `platform`)."""

from __future__ import annotations

import json
import uuid

import pytest
from werkzeug.test import Client

from smartpay_fraud.domain.transactions import Transaction, validate
from smartpay_payment.entrypoints.api import PayRequest
from smartpay_shared.events.payloads import PaymentMethod, PaymentRequested
from smartpay_shared.money import CURRENCIES, max_minor_units

pytestmark = pytest.mark.integration

PAY = {"currency": "USD", "amount": 1250, "customer_id": "c_contract",
       "payment_method": {"type": "card", "token": "pm_card_visa"}}
ROUTE = {"currency": "USD", "amount": 1250, "payment_method": "card", "country": "US"}
FRAUD = {"currency": "USD", "amount": 1250, "customer_id": "c_contract",
         "payment_method": {"type": "card", "token": "pm_card_visa"}}


def post(platform, path, body=None, *, raw=None, content_type="application/json", key=True):
    headers = {"Authorization": f"Bearer {platform.tokens['merchant_a']}"}
    if key:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    data = raw if raw is not None else json.dumps(body)
    return Client(platform.gateway).post(path, headers=headers, data=data, content_type=content_type)


@pytest.mark.parametrize("currency", CURRENCIES)
def test_what_pay_accepts_fraud_scores_and_the_event_carries(currency):
    """At each currency's bound: /pay's model, the payment.requested payload and fraud's own check
    agree (the probe's 202 -> dead letter -> saga_timeout cannot happen); one over is refused by /pay."""
    top = max_minor_units(currency)
    request = PayRequest.model_validate({**PAY, "currency": currency, "amount": top})
    PaymentRequested(payment_id="pay_contract01", merchant_id="m_a", currency=currency, amount=top,
                     customer_id="c", payment_method=PaymentMethod(type="card", token="pm_card_visa"))
    validate(Transaction(transaction_id="t", timestamp_ms=0, amount=request.amount, currency=currency,
                         merchant_id="m_a"))
    with pytest.raises(ValueError, match="amount"):
        PayRequest.model_validate({**PAY, "currency": currency, "amount": top + 1})


@pytest.mark.parametrize("path,body", [("/pay", PAY), ("/route", ROUTE), ("/fraud", FRAUD)])
@pytest.mark.parametrize("amount", [True, "100", 1000.0, 10**12, 0, -5, None])
def test_an_amount_must_be_a_json_integer_within_its_currency_bound(platform, path, body, amount):
    response = post(platform, path, {**body, "amount": amount})
    assert response.status_code == 422, response.json
    assert [e["loc"] for e in response.json["errors"]] == [["body", "amount"]]


@pytest.mark.parametrize("path,body", [("/pay", PAY), ("/route", ROUTE), ("/fraud", FRAUD)])
@pytest.mark.parametrize("currency", ["XXX", "XTS", "XAU", "usd", "US", "EURO"])
def test_a_currency_that_is_not_active_iso_4217_is_refused_the_same_on_every_route(platform, path, body, currency):
    response = post(platform, path, {**body, "currency": currency})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json["errors"]] == [["body", "currency"]]


@pytest.mark.parametrize("method", [{"type": "card"}, {"type": "card", "token": "pm_1", "vault_id": "pmv_" + "a" * 32},
                                    {"type": "card", "token": None, "vault_id": "pmv_" + "a" * 32}])
def test_pay_takes_a_token_xor_a_vault_id_and_never_null(platform, method):
    assert post(platform, "/pay", {**PAY, "payment_method": method}).status_code == 422


@pytest.mark.parametrize("field", ["customer_id", "device_id", "ip_address", "merchant_category"])
def test_control_characters_are_refused_in_identifiers(platform, field):
    response = post(platform, "/pay", {**PAY, field: "abc\x07def"})
    assert response.status_code == 422
    assert response.json["errors"][0]["loc"] == ["body", field]


@pytest.mark.parametrize(("raw", "content_type", "status"), [
    ('{"amount": 1}', "text/plain", 415), ("<pay/>", "application/xml", 415),
    ("--x\r\n\r\n--x--", "multipart/form-data", 415), ('{"amount": ', "application/json", 400),
    ('{"a": ' + "[" * 1000 + "]" * 1000 + "}", "application/json", 400),
    ('{"amount": 1250, "currency": "USD", "customer_id": "c", "metadata": {"k": "\\udc00"}, '
     '"payment_method": {"type": "card", "token": "pm_card_visa"}}', "application/json", 422),
])
def test_no_body_makes_pay_answer_5xx_and_none_claims_the_idempotency_key(platform, raw, content_type, status):
    headers = {"Authorization": f"Bearer {platform.tokens['merchant_a']}", "Idempotency-Key": uuid.uuid4().hex}
    response = Client(platform.gateway).post("/pay", headers=headers, data=raw, content_type=content_type)
    assert response.status_code == status, response.json
    # The refused request claimed nothing: the same key with a good body is a new payment (a claimed
    # key with another body would be a 409).
    again = Client(platform.gateway).post("/pay", headers=headers, json=PAY)
    assert again.status_code == 202, again.json
