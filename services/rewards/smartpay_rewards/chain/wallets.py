"""Wallet linking: the server issues a challenge (a random nonce, an expiry, the wallet and customer named in
the message); the customer signs the message bytes with the wallet's ed25519 key (a wallet's signMessage);
the link holds when the signature verifies against that wallet and the challenge is unused and unexpired.
The challenge is consumed atomically, so a replayed signature is refused."""

from __future__ import annotations

import secrets
import time
from typing import Callable

from solders.pubkey import Pubkey
from solders.signature import Signature

from smartpay_rewards.chain.ports import Challenge, ChallengeStore, LinkedWallet, WalletVerifier

CHALLENGE_TTL_SECONDS = 300


class WalletLinkRefused(Exception):
    """reason: invalid_wallet | unknown_challenge | expired | bad_signature | already_used."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def parse_wallet(wallet: str) -> Pubkey:
    try:
        key = Pubkey.from_string(wallet)
    except ValueError:
        raise WalletLinkRefused("invalid_wallet", "not a base58 Solana address") from None
    if not key.is_on_curve():
        raise WalletLinkRefused("invalid_wallet", "a program-derived address has no private key to sign with")
    return key


class SignedMessageVerifier(WalletVerifier):
    def __init__(self, store: ChallengeStore, ttl_seconds: int = CHALLENGE_TTL_SECONDS,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.ttl = ttl_seconds
        self.clock = clock

    def issue_challenge(self, merchant_id: str, customer_id: str, wallet: str) -> Challenge:
        parse_wallet(wallet)
        now = self.clock()
        challenge = Challenge(secrets.token_urlsafe(18), merchant_id, customer_id, wallet, now, now + self.ttl)
        self.store.put(challenge)
        return challenge

    def link_wallet(self, merchant_id: str, nonce: str, signature: str) -> LinkedWallet:
        challenge = self.store.get(merchant_id, nonce)
        if challenge is None:
            raise WalletLinkRefused("unknown_challenge", "no challenge with this nonce for this merchant")
        if self.clock() >= challenge.expires_at:
            raise WalletLinkRefused("expired", "the challenge has expired: ask for a new one")
        try:
            sig = Signature.from_string(signature)
        except ValueError:
            raise WalletLinkRefused("bad_signature", "not a base58 ed25519 signature") from None
        if not sig.verify(parse_wallet(challenge.wallet), challenge.message):
            raise WalletLinkRefused("bad_signature", "the signature does not verify against the wallet")
        if not self.store.consume(merchant_id, nonce):
            raise WalletLinkRefused("already_used", "this challenge was already used")
        return LinkedWallet(merchant_id, challenge.customer_id, challenge.wallet, nonce)
