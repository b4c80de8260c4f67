"""The mint authority from Secrets Manager and wallet challenges in DynamoDB, on a private moto server."""

from __future__ import annotations

import json
import logging

import boto3
import pytest
from solders.keypair import Keypair

from smartpay_shared.testing import MotoServer

from smartpay_rewards.chain.challenge_store import DynamoChallengeStore
from smartpay_rewards.chain.points_mint import PointsMint
from smartpay_rewards.chain.secrets import SecretError, SecretsManagerSource, keypair_secret
from smartpay_rewards.chain.wallets import SignedMessageVerifier, WalletLinkRefused


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    with MotoServer(log_path=tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture
def aws(moto, monkeypatch):
    moto.reset()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    return lambda service: boto3.client(service, endpoint_url=moto.url, region_name="us-east-1")


def test_mint_authority_loaded_from_secrets_manager_mints_on_chain(aws, cluster, payer, caplog):
    caplog.set_level(logging.DEBUG, logger="smartpay_rewards")  # (botocore at DEBUG prints response bodies)
    sm = aws("secretsmanager")
    authority = Keypair()
    sm.create_secret(Name="smartpay/rewards/mint-authority", SecretString=json.dumps(keypair_secret(authority)))
    source = SecretsManagerSource(sm)
    loaded = source.keypair("smartpay/rewards/mint-authority")
    assert loaded.pubkey() == authority.pubkey()
    points = PointsMint.create(cluster, Keypair(), loaded, payer)
    assert PointsMint.load(cluster, points.address, source.keypair("smartpay/rewards/mint-authority"),
                           payer).address == points.address
    secret = str(authority)
    assert secret not in caplog.text and secret not in repr(source) and secret not in repr(points)


@pytest.mark.parametrize("value, problem", [
    ("not json", "not a JSON object"),
    (json.dumps({"public_key": "x"}), "no string field 'secret_key'"),
    (json.dumps({"secret_key": "abc"}), "not a base58 64-byte keypair"),
])
def test_malformed_secret_named_without_its_value(aws, value, problem):
    sm = aws("secretsmanager")
    sm.create_secret(Name="bad", SecretString=value)
    with pytest.raises(SecretError) as caught:
        SecretsManagerSource(sm).keypair("bad")
    assert problem in str(caught.value) and "abc" not in str(caught.value)


def test_mismatched_public_key_and_missing_secret(aws):
    sm = aws("secretsmanager")
    sm.create_secret(Name="mixed", SecretString=json.dumps({"secret_key": str(Keypair()),
                                                            "public_key": str(Keypair().pubkey())}))
    with pytest.raises(SecretError, match="does not match"):
        SecretsManagerSource(sm).keypair("mixed")
    with pytest.raises(SecretError, match="ResourceNotFoundException"):
        SecretsManagerSource(sm).keypair("absent")


def test_dynamodb_challenge_is_consumed_once(aws):
    ddb = aws("dynamodb")
    ddb.create_table(TableName="challenges", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "merchant_id", "AttributeType": "S"},
                                           {"AttributeName": "nonce", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "merchant_id", "KeyType": "HASH"},
                                {"AttributeName": "nonce", "KeyType": "RANGE"}])
    verifier = SignedMessageVerifier(DynamoChallengeStore(ddb, "challenges"))
    wallet = Keypair()
    challenge = verifier.issue_challenge("m1", "c1", str(wallet.pubkey()))
    signature = str(wallet.sign_message(challenge.message))
    with pytest.raises(WalletLinkRefused):
        verifier.link_wallet("m2", challenge.nonce, signature)
    assert verifier.link_wallet("m1", challenge.nonce, signature).wallet == str(wallet.pubkey())
    with pytest.raises(WalletLinkRefused) as caught:
        verifier.link_wallet("m1", challenge.nonce, signature)
    assert caught.value.reason == "already_used"
