"""Our Standard Webhooks signatures, checked by the reference library (as a merchant verifies them)."""

import json
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from smartpay_webhooks.domain import signing


def test_a_signature_verifies_with_the_reference_library():
    secret = signing.generate_secret()
    body = json.dumps({"type": "payment.captured", "data": {"payment_id": "pay_12345678"}})
    now = int(time.time())
    headers = signing.headers([secret], "evt_1", now, body)
    assert Webhook(secret).verify(body, headers)["type"] == "payment.captured"
    assert headers["webhook-id"] == "evt_1" and headers["webhook-timestamp"] == str(now)


def test_during_a_rotation_both_secrets_verify():
    old, new = signing.generate_secret(), signing.generate_secret()
    body = '{"type":"payment.failed"}'
    headers = signing.headers([new, old], "evt_2", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)


def test_another_secret_or_a_changed_body_is_refused():
    secret = signing.generate_secret()
    headers = signing.headers([secret], "evt_3", int(time.time()), '{"a":1}')
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.generate_secret()).verify('{"a":1}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify('{"a":2}', headers)


def test_the_signed_content_is_id_dot_timestamp_dot_body():
    # The specification's own example (standardwebhooks.com, "Signature scheme").
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'
    assert signing.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_secrets_are_whsec_and_32_random_bytes():
    a, b = signing.generate_secret(), signing.generate_secret()
    assert a.startswith("whsec_") and a != b and len(signing.secret_key(a)) == 32
    with pytest.raises(signing.InvalidSecret):
        signing.secret_key("sk_notawebhooksecret")
    with pytest.raises(signing.InvalidSecret):
        signing.headers([], "evt", 1, "{}")
