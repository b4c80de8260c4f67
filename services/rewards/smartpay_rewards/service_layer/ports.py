"""What the rewards use cases need from the outside world, as abstract ports.

- AbstractUnitOfWork: the ledger's store (adapters/dynamodb.py; fake: adapters/memory.py).
- TokenMinter, WalletVerifier: the on-chain side (SPL token, wallet link; smartpay_rewards.chain).
- ExchangePort: redemption quotes and settlement (AMM pool, ccxt; smartpay_rewards.exchange).
- OfferPolicy: which offer a customer sees (contextual bandit; smartpay_rewards.offers).
Until an implementation is wired, bootstrap wires the loud placeholders of service_layer/placeholders.py."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from smartpay_rewards.domain.model import Account, Change, Entry, PaymentRecord


class ConcurrentChange(Exception):
    """Someone wrote the account or the payment record since it was read: read again and retry."""


class AlreadyApplied(Exception):
    """The event was applied before (its marker exists): nothing was written, nothing is to do."""


class AbstractUnitOfWork(abc.ABC):
    """One event's (or one operation's) reads and its writes, committed together or not at all
    (cosmicpython's unit of work). Reads are strongly consistent; `commit` writes the staged changes
    with a condition on every item: the account's and the payment's version as read, every entry id
    and the event marker absent."""

    def __enter__(self) -> AbstractUnitOfWork:
        self._staged: list[Change] = []
        self._event: tuple[str, str, str] | None = None
        return self

    def __exit__(self, *args: object) -> None:
        self.rollback()

    def stage(self, change: Change) -> None:
        self._staged.append(change)

    def mark_event(self, merchant_id: str, payment_id: str, event_id: str) -> None:
        """Commit also records that this event was applied (a redelivery is then AlreadyApplied)."""
        self._event = (merchant_id, payment_id, event_id)

    def rollback(self) -> None:
        self._staged, self._event = [], None

    def commit(self) -> None:
        """Raises AlreadyApplied (the event's marker exists) or ConcurrentChange; writes nothing then."""
        self._commit(list(self._staged), self._event)
        self._staged, self._event = [], None

    @abc.abstractmethod
    def _commit(self, changes: list[Change], event: tuple[str, str, str] | None) -> None: ...

    @abc.abstractmethod
    def account(self, merchant_id: str, customer_id: str) -> Account:
        """The stored account, or a new empty one (seq 0)."""

    @abc.abstractmethod
    def payment(self, merchant_id: str, payment_id: str) -> PaymentRecord | None: ...

    @abc.abstractmethod
    def event_applied(self, merchant_id: str, payment_id: str, event_id: str) -> bool: ...

    @abc.abstractmethod
    def history(self, merchant_id: str, customer_id: str, *, limit: int, before_seq: int | None = None) -> list[Entry]:
        """Entries newest first, those with seq < before_seq when given."""


# --- On chain (implemented in smartpay_rewards.chain) -----------------------------------------------

@dataclass(frozen=True)
class MintRequest:
    merchant_id: str
    customer_id: str
    wallet: str        # base58 Solana address, verified through WalletVerifier
    points: int        # > 0; one token unit per point (the mint's decimals are the adapter's business)


@dataclass(frozen=True)
class MintReceipt:
    signature: str                                  # the transaction's signature (base58)
    amounts: Mapping[tuple[str, str], int]          # (merchant_id, customer_id) -> points minted
    fee_lamports: int                               # what the transaction cost the platform


class TokenMinter(abc.ABC):
    """The platform's SPL token mint authority. The ledger stays the source of truth: a mint is
    recorded as a MINTED marker (domain.ledger.chain_marker) after the signature confirms."""

    @abc.abstractmethod
    def mint_batch(self, requests: Sequence[MintRequest]) -> MintReceipt:
        """Mint every request's points to its wallet in one transaction (the caller sizes the batch);
        all or nothing: raises on failure, having minted nothing."""

    @abc.abstractmethod
    def burn_or_offset(self, merchant_id: str, customer_id: str, wallet: str, points: int) -> MintReceipt:
        """Take `points` back for a clawback: burn from the wallet where the platform may (delegate),
        else record an offset against future mints; `amounts` says what was taken on chain."""

    @abc.abstractmethod
    def balance_of(self, wallet: str) -> int:
        """The wallet's token balance in points (for the reconciliation)."""


class WalletVerifier(abc.ABC):
    """Proof that a customer controls a Solana wallet: a challenge message signed by its key."""

    @abc.abstractmethod
    def challenge(self, merchant_id: str, customer_id: str, wallet: str, now: datetime) -> str:
        """The message the wallet must sign (binds merchant, customer, wallet and a freshness window)."""

    @abc.abstractmethod
    def verify(self, merchant_id: str, customer_id: str, wallet: str, message: str, signature: bytes,
               now: datetime) -> bool:
        """True when `signature` is the wallet key's ed25519 signature of a current challenge `message`."""


# --- Exchange (implemented in smartpay_rewards.exchange) -------------------------------------------

@dataclass(frozen=True)
class Quote:
    quote_id: str
    points: int                  # points in
    asset: str                   # "SOL", "USDC", ...
    amount_out: int              # minor units of the asset (lamports, USDC base units)
    min_amount_out: int          # after the slippage limit: settlement below this fails
    expires_at: datetime
    venue: str                   # "amm", "ccxt:<exchange>"


@dataclass(frozen=True)
class Settlement:
    quote_id: str
    amount_out: int
    reference: str               # chain signature or exchange order id
    fee: int = 0                 # minor units of the asset


class ExchangeFailed(Exception):
    """Settlement did not happen (slippage, expiry, venue error): the caller reverses the redemption."""


class ExchangePort(abc.ABC):
    @abc.abstractmethod
    def quote(self, points: int, asset: str, max_slippage_bps: int, now: datetime) -> Quote: ...

    @abc.abstractmethod
    def settle(self, quote: Quote, destination_wallet: str, now: datetime) -> Settlement:
        """Execute a quote not yet expired; raises ExchangeFailed (nothing moved) otherwise."""


# --- Offers (implemented in smartpay_rewards.offers) -----------------------------------------------

@dataclass(frozen=True)
class OfferContext:
    merchant_id: str
    customer_id: str
    balance: int
    debt: int
    earned: int
    recent: tuple[Entry, ...]    # newest first, the page the API shows
    now: datetime


@dataclass(frozen=True)
class Offer:
    offer_id: str                # e.g. "3x_grocery_week"
    title: str
    multiplier: str = "1"        # decimal string, applied to the earn rate while active
    expires_at: datetime | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OfferDecision:
    offer: Offer | None          # None: no offer for this customer now
    propensity: float            # probability the policy chose this action (0, 1], logged for OPE
    policy_version: str
    configured: bool = True      # False only from the placeholder: no policy is wired


class OfferPolicy(abc.ABC):
    @abc.abstractmethod
    def choose(self, context: OfferContext) -> OfferDecision:
        """The offer to show this customer now, with its propensity; the implementation logs the
        decision (context, action, propensity) for off-policy evaluation."""
