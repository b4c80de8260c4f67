"""Wallet linking by a signed challenge: real ed25519 signatures (solders Keypair.sign_message)."""

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from smartpay_rewards.chain.challenge_store import InMemoryChallengeStore
from smartpay_rewards.chain.wallets import SignedMessageVerifier, WalletLinkRefused


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def verifier(clock):
    return SignedMessageVerifier(InMemoryChallengeStore(), ttl_seconds=300, clock=clock)


def refused(reason, fn, *args):
    with pytest.raises(WalletLinkRefused) as caught:
        fn(*args)
    assert caught.value.reason == reason


def test_a_signed_challenge_links_the_wallet_once(verifier):
    wallet = Keypair()
    challenge = verifier.issue_challenge("m1", "c1", str(wallet.pubkey()))
    assert str(wallet.pubkey()).encode() in challenge.message and challenge.nonce.encode() in challenge.message
    signature = str(wallet.sign_message(challenge.message))
    linked = verifier.link_wallet("m1", challenge.nonce, signature)
    assert (linked.customer_id, linked.wallet) == ("c1", str(wallet.pubkey()))
    refused("already_used", verifier.link_wallet, "m1", challenge.nonce, signature)


def test_nonces_are_unique(verifier):
    wallet = str(Keypair().pubkey())
    assert len({verifier.issue_challenge("m1", "c1", wallet).nonce for _ in range(50)}) == 50


def test_expired_challenge_refused(verifier, clock):
    wallet = Keypair()
    challenge = verifier.issue_challenge("m1", "c1", str(wallet.pubkey()))
    clock.now += 300
    refused("expired", verifier.link_wallet, "m1", challenge.nonce, str(wallet.sign_message(challenge.message)))


def test_signature_by_another_key_refused(verifier):
    wallet, thief = Keypair(), Keypair()
    challenge = verifier.issue_challenge("m1", "c1", str(wallet.pubkey()))
    refused("bad_signature", verifier.link_wallet, "m1", challenge.nonce, str(thief.sign_message(challenge.message)))
    # A refused attempt does not burn the challenge: the owner can still link.
    assert verifier.link_wallet("m1", challenge.nonce, str(wallet.sign_message(challenge.message)))


def test_signature_over_another_message_refused(verifier):
    wallet = Keypair()
    first = verifier.issue_challenge("m1", "c1", str(wallet.pubkey()))
    second = verifier.issue_challenge("m1", "c1", str(wallet.pubkey()))
    refused("bad_signature", verifier.link_wallet, "m1", second.nonce, str(wallet.sign_message(first.message)))


def test_another_merchants_challenge_is_unknown(verifier):
    wallet = Keypair()
    challenge = verifier.issue_challenge("m1", "c1", str(wallet.pubkey()))
    signature = str(wallet.sign_message(challenge.message))
    refused("unknown_challenge", verifier.link_wallet, "m2", challenge.nonce, signature)


def test_malformed_inputs_refused(verifier):
    refused("invalid_wallet", verifier.issue_challenge, "m1", "c1", "not-a-key")
    pda = Pubkey.find_program_address([b"x"], Pubkey.default())[0]
    refused("invalid_wallet", verifier.issue_challenge, "m1", "c1", str(pda))
    challenge = verifier.issue_challenge("m1", "c1", str(Keypair().pubkey()))
    refused("bad_signature", verifier.link_wallet, "m1", challenge.nonce, "zzz")
