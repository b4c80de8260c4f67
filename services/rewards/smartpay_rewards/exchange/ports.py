"""The exchange port (the one definition; service_layer/ports.py re-exports it for the use cases).

The ledger's side of a redemption: reserve the points, quote, settle; then act on Settlement.status:
- settled: debit `points_in` (the tokens left the wallet / the points were sold), credit nothing else;
- refused: release the reservation; nothing moved anywhere (`reason` says why);
- pending: the venue's answer was lost; keep the reservation and call resolve() until settled or refused."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from solders.keypair import Keypair

REFUSAL_REASONS = ("expired", "slippage", "insufficient_points", "insufficient_liquidity", "below_minimum",
                   "rejected", "unavailable", "chain_error", "cancelled")


class QuoteRefused(Exception):
    """No quote can be given (unknown asset, too small, no liquidity); reason is one of REFUSAL_REASONS."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Quote:
    id: str
    venue: str
    points: int
    target_asset: str
    amount_out: int          # in the target's base units (lamports for SOL, 10^-decimals of a token)
    price: Decimal           # target base units per point (amount_out / points)
    expires_at: float        # epoch seconds
    slippage_bps: int        # settlement refuses below amount_out * (1 - slippage_bps / 10^4)
    detail: dict = field(default_factory=dict, compare=False)  # venue state at quote time (reserves, book)

    @property
    def min_out(self) -> int:
        return self.amount_out * (10_000 - self.slippage_bps) // 10_000


@dataclass(frozen=True)
class Redeemer:
    """Whose points and where the proceeds go. `signer`: the wallet's key when the platform holds it (the
    sandbox's custodial wallets); a customer-held wallet signs the prepared transaction on its device."""

    wallet: str
    signer: Keypair | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Settlement:
    quote_id: str
    status: Literal["settled", "refused", "pending"]
    reason: str | None = None
    points_in: int = 0
    amount_out: int = 0
    reference: str | None = None  # transaction signature or exchange order id
    fee_lamports: int = 0
    detail: str = ""


class ExchangePort(abc.ABC):
    venue: str  # what its quotes say in Quote.venue ("pool", "ccxt:binance")

    @abc.abstractmethod
    def quote(self, points: int, target_asset: str, slippage_bps: int = 100) -> Quote: ...

    @abc.abstractmethod
    def settle(self, quote: Quote, redeemer: Redeemer) -> Settlement:
        """All or nothing; never raises for a venue refusal (returns status refused with the reason)."""

    @abc.abstractmethod
    def resolve(self, settlement: Settlement) -> Settlement:
        """A pending settlement's final state, from the venue."""
