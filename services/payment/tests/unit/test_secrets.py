"""Credential shapes and what counts as a secret value (pure: a fake store stands in for Secrets Manager)."""

import pytest
from solders.keypair import Keypair

from smartpay_payment.adapters import secrets as sm


class FakeStore:
    def __init__(self, values):
        self.values = values

    def json(self, secret_id):
        if secret_id not in self.values:
            raise sm.CredentialsError(f"secret {secret_id} cannot be read")
        return self.values[secret_id]


def test_typed_credentials_from_their_json_shapes():
    pair = Keypair()
    store = FakeStore({"s": {"api_key": "sk_test_1"}, "a": {"public_key_id": "SANDBOX-X", "private_key": "PEM"},
                       "f": sm.sandbox_fee_payer_secret() | {"secret_key": str(pair)}})
    assert sm.stripe_credentials(store, "s").api_key == "sk_test_1"
    assert sm.amazon_pay_credentials(store, "a").public_key_id == "SANDBOX-X"
    assert sm.solana_fee_payer(store, "f").keypair() == pair


@pytest.mark.parametrize("value, missing", [({}, "api_key"), ({"api_key": 12}, "api_key"), ({"api_key": ""}, "api_key")])
def test_a_missing_field_names_the_secret_and_the_field(value, missing):
    with pytest.raises(sm.CredentialsError, match=f"secret s has no string field '{missing}'"):
        sm.stripe_credentials(FakeStore({"s": value}), "s")


def test_a_bad_keypair_is_refused_without_echoing_it():
    with pytest.raises(sm.CredentialsError) as refused:
        sm.solana_fee_payer(FakeStore({"f": {"secret_key": "not-a-keypair-s3cr3t"}}), "f")
    assert "not-a-keypair-s3cr3t" not in str(refused.value)


def test_reprs_hide_the_values():
    assert "sk_live_x" not in repr(sm.StripeCredentials("sk_live_x"))
    assert "PEM-BODY" not in repr(sm.AmazonPayCredentials("SANDBOX-X", "PEM-BODY"))
    assert "SANDBOX-X" in repr(sm.AmazonPayCredentials("SANDBOX-X", "PEM-BODY"))  # the key id is public
    assert "s3cr3t" not in repr(sm.SolanaFeePayer("s3cr3t"))


def test_secret_values_leave_public_fields_out_and_walk_nested_json():
    secret = {"api_key": "sk_1", "public_key_id": "SANDBOX-X", "public_key": "pub",
              "nested": {"token": "t_2", "list": ["l_3", {"public_key": "pub2"}]}, "count": 3}
    assert sorted(sm.secret_values(secret)) == ["l_3", "sk_1", "t_2"]
    assert sm.secret_values("plain-string-secret") == ["plain-string-secret"]
    assert sm.parse_secret_string('{"a": 1}') == {"a": 1} and sm.parse_secret_string("x") == "x"


def test_generated_sandbox_values_are_valid_and_fresh():
    assert sm.valid_stripe(sm.sandbox_stripe_secret()) and sm.valid_fee_payer(sm.sandbox_fee_payer_secret())
    assert sm.sandbox_stripe_secret() != sm.sandbox_stripe_secret()
    amazon = sm.sandbox_amazon_pay_secret()
    assert sm.valid_amazon_pay(amazon) and amazon["public_key_id"].startswith("SANDBOX-")
    assert not sm.valid_amazon_pay({"public_key_id": "X", "private_key": "nope"})
    assert not sm.valid_stripe({"api_key": "pk_test_1"}) and not sm.valid_fee_payer({"secret_key": "x"})
