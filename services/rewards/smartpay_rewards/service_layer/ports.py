"""What the rewards use cases need from the outside world, as abstract ports.

- AbstractUnitOfWork: the ledger's store (adapters/dynamodb.py; fake: adapters/memory.py), which also holds
  linked wallets, redemptions and the mint journal's batches, so a chain outcome and its ledger markers are
  written in one transaction.
- The on-chain and exchange ports have ONE definition each, where their implementations live:
  smartpay_rewards.chain.ports (TokenMinter, MintJournal, WalletVerifier, ChallengeStore, ChainCluster,
  SecretSource) and smartpay_rewards.exchange.ports (ExchangePort, Quote, Settlement); re-exported here.
- OfferPolicy: which offer a customer sees (contextual bandit; smartpay_rewards.offers).
Until an implementation is wired, bootstrap wires the loud placeholders of service_layer/placeholders.py."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from smartpay_rewards.chain.ports import (BatchResult, ChallengeStore, LinkedWallet, MintJournal, MintOrder,
                                          PendingBatch, TokenMinter, WalletVerifier)
from smartpay_rewards.domain.model import Account, Change, ChainSetup, Entry, PaymentRecord, Redemption
from smartpay_rewards.exchange.ports import ExchangePort, Quote, QuoteRefused, Redeemer, Settlement

__all__ = ["AbstractUnitOfWork", "AlreadyApplied", "BatchResult", "ChallengeStore", "ConcurrentChange", "EventReads", "ExchangePort",
           "LeaseClaim", "LeaseLost", "LinkedWallet", "MintJournal", "MintOrder", "Offer", "OfferContext",
           "OfferDecision", "OfferModelStore", "OfferPolicy", "PendingBatch", "Quote", "QuoteRefused", "Redeemer",
           "Settlement",
           "TokenMinter", "WalletVerifier"]


class ConcurrentChange(Exception):
    """Someone wrote the account or the payment record since it was read: read again and retry."""


class AlreadyApplied(Exception):
    """The event was applied before (its marker exists): nothing was written, nothing is to do."""


class LeaseLost(Exception):
    """The lease a write was fenced on is no longer this holder's (it expired and another took it): nothing
    was written, and the holder must stop."""


@dataclass(frozen=True)
class EventReads:
    """AbstractUnitOfWork.event_reads: what applying one payment event needs to know."""

    applied: bool
    payment: PaymentRecord | None
    account: Account | None  # None: no customer is known (no record, and the event names none)
    category: str | None  # the merchant's offer category (None: none set, or not asked for)


@dataclass(frozen=True)
class LeaseClaim:
    """A write fenced on a lease: done only while `holder` holds lease `name`, which it extends to `until`."""

    name: str
    holder: str
    until: float


class AbstractUnitOfWork(abc.ABC):
    """One event's (or one operation's) reads and its writes, committed together or not at all
    (cosmicpython's unit of work). Reads are strongly consistent; `commit` writes the staged changes
    with a condition on every item: the account's and the payment's version as read, every entry id
    and the event marker absent."""

    def __enter__(self) -> AbstractUnitOfWork:
        self._staged: list[Change] = []
        self._event: tuple[str, str, str] | None = None
        self._records: list[Record] = []
        return self

    def __exit__(self, *args: object) -> None:
        self.rollback()

    def stage(self, change: Change) -> None:
        self._staged.append(change)

    def mark_event(self, merchant_id: str, payment_id: str, event_id: str) -> None:
        """Commit also records that this event was applied (a redelivery is then AlreadyApplied)."""
        self._event = (merchant_id, payment_id, event_id)

    def stage_wallet(self, link: LinkedWallet) -> None:
        """Commit also links the wallet (condition: the customer has no wallet yet, or this same one)."""
        self._records.append(WalletWrite(link))

    def stage_redemption(self, redemption: Redemption, expected_status: str | None) -> None:
        """Commit also writes the redemption (condition: stored with `expected_status`, or absent for None)."""
        self._records.append(RedemptionWrite(redemption, expected_status))

    def stage_batch_outcome(self, result: BatchResult) -> None:
        """Commit also records a mint batch's outcome (condition: the batch is pending or unknown; a
        recorded outcome makes the commit AlreadyApplied)."""
        self._records.append(BatchOutcomeWrite(result))

    def rollback(self) -> None:
        self._staged, self._event, self._records = [], None, []

    def commit(self) -> None:
        """Raises AlreadyApplied (the event's marker, an entry id or a batch outcome exists) or
        ConcurrentChange; writes nothing then."""
        self._commit(list(self._staged), self._event, list(self._records))
        self._staged, self._event, self._records = [], None, []

    @abc.abstractmethod
    def _commit(self, changes: list[Change], event: tuple[str, str, str] | None, records: list[Record]) -> None: ...

    @abc.abstractmethod
    def account(self, merchant_id: str, customer_id: str) -> Account:
        """The stored account, or a new empty one (seq 0)."""

    @abc.abstractmethod
    def payment(self, merchant_id: str, payment_id: str) -> PaymentRecord | None: ...

    @abc.abstractmethod
    def event_applied(self, merchant_id: str, payment_id: str, event_id: str) -> bool: ...

    def event_reads(self, merchant_id: str, payment_id: str, event_id: str, customer_id: str | None, *,
                    category: bool) -> EventReads:
        """What applying a payment event reads: whether the event was applied, the payment record, the account
        of the record's customer (`customer_id` when there is no record; None when neither names one) and, when
        `category`, the merchant's offer category. An adapter may read them together (one request); this
        default reads them one by one."""
        applied = self.event_applied(merchant_id, payment_id, event_id)
        record = self.payment(merchant_id, payment_id)
        customer = record.customer_id if record else customer_id
        return EventReads(applied, record, self.account(merchant_id, customer) if customer else None,
                          self.merchant_category(merchant_id) if category else None)

    @abc.abstractmethod
    def history(self, merchant_id: str, customer_id: str, *, limit: int, before_seq: int | None = None) -> list[Entry]:
        """Entries newest first, those with seq < before_seq when given."""

    @abc.abstractmethod
    def merchant_category(self, merchant_id: str) -> str | None:
        """The offer category the operator set for the merchant (`smartpay rewards merchant-category`), or None."""

    @abc.abstractmethod
    def put_merchant_category(self, merchant_id: str, category: str | None, at: datetime) -> None:
        """Written at once: the merchant's category from now on (None clears it). Captures already applied
        keep the category they were applied with (their payment record)."""

    # --- wallets, redemptions, the mint journal, the chain's setup ------------------------------------
    @abc.abstractmethod
    def wallet(self, merchant_id: str, customer_id: str) -> str | None: ...

    @abc.abstractmethod
    def wallets(self) -> list[LinkedWallet]:
        """Every linked wallet (the mint run and the reconciliation)."""

    @abc.abstractmethod
    def redemption(self, merchant_id: str, redemption_id: str) -> Redemption | None: ...

    @abc.abstractmethod
    def open_redemptions(self) -> list[Redemption]:
        """Redemptions whose settlement is not final (reserved or pending)."""

    @abc.abstractmethod
    def put_pending_batch(self, pending: PendingBatch, lease: LeaseClaim | None = None) -> None:
        """Written at once (before the transaction is sent), replacing a pending record of the same id. With
        `lease`: only while `lease.holder` still holds the lease, extended to `lease.until` in the same write
        (LeaseLost otherwise, nothing written), so a run whose lease another took cannot send a batch."""

    @abc.abstractmethod
    def pending_batches(self) -> list[PendingBatch]: ...

    @abc.abstractmethod
    def chain_setup(self) -> ChainSetup | None: ...

    @abc.abstractmethod
    def put_chain_setup(self, setup: ChainSetup) -> None:
        """Written at once, only where none is stored (a second setup is refused with ConcurrentChange)."""

    @abc.abstractmethod
    def acquire_lease(self, name: str, holder: str, until: float, now: float) -> bool:
        """A named lease (the mint run's: one at a time): True when free, expired, or already this holder's."""

    @abc.abstractmethod
    def release_lease(self, name: str, holder: str) -> None: ...


@dataclass(frozen=True)
class WalletWrite:
    link: LinkedWallet


@dataclass(frozen=True)
class RedemptionWrite:
    redemption: Redemption
    expected_status: str | None


@dataclass(frozen=True)
class BatchOutcomeWrite:
    result: BatchResult


Record = WalletWrite | RedemptionWrite | BatchOutcomeWrite


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
    category: str | None = None  # the merchant's offer category (operator-set); None: no offer can pay there


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
    configured: bool = True      # False: no offer can be shown (no policy wired, or no merchant category)
    detail: str = ""             # why, when not configured


class OfferModelStore(abc.ABC):
    """Where trained offer checkpoints are published and read (adapters/offer_model_store.py: S3)."""

    @abc.abstractmethod
    def get(self, uri: str) -> bytes: ...

    @abc.abstractmethod
    def put(self, uri: str, model: bytes, version: str, report: dict) -> None:
        """The checkpoint's bytes at `uri` and the training report beside it (a reader never finds the
        checkpoint without its report)."""


class OfferPolicy(abc.ABC):
    @abc.abstractmethod
    def choose(self, context: OfferContext) -> OfferDecision:
        """The offer to show this customer now, with its propensity; the implementation logs the
        decision (context, action, propensity) for off-policy evaluation."""
