"""The ledger's records: an append-only Entry per change, an Account (balance and debt) per merchant and
customer, a PaymentRecord per merchant and payment (what it earned and what refunds clawed back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal


class EntryKind(StrEnum):
    EARN = "earn"                        # points for a captured payment (+balance)
    OFFER_BONUS = "offer_bonus"          # an offer's extra points on a captured payment (+balance)
    CLAWBACK = "clawback"                # points taken back for a refund, up to the balance (-balance)
    DEBT = "debt"                        # the part of a clawback the balance could not cover (+debt)
    DEBT_REPAYMENT = "debt_repayment"    # credit that went to the debt first (-balance, -debt)
    REDEEM = "redeem"                    # points spent through the exchange (-balance)
    REDEEM_REVERSAL = "redeem_reversal"  # a failed redemption's points given back (+balance)
    MINTED = "minted"                    # marker: points sent on chain as tokens (balance unchanged)
    BURNED = "burned"                    # marker: tokens burned or offset on chain (balance unchanged)


@dataclass(frozen=True)
class Entry:
    """One immutable ledger line. `entry_id` is deterministic (kind, payment or redemption, event), so a
    redelivered event produces the same ids and the store's condition on them writes nothing twice."""

    merchant_id: str
    customer_id: str
    entry_id: str
    seq: int                 # the account's running number: history order
    kind: EntryKind
    points: int              # change of the balance (signed)
    debt_change: int         # change of the debt (signed)
    balance_after: int
    debt_after: int
    at: datetime
    payment_id: str | None = None
    event_id: str | None = None
    reference: str | None = None  # refund id, redemption id, chain signature
    detail: str = ""
    amount: int | None = None     # EARN: the captured amount (minor units) the points were earned on
    currency: str | None = None   # EARN: its currency


@dataclass(frozen=True)
class Account:
    merchant_id: str
    customer_id: str
    balance: int = 0
    debt: int = 0
    seq: int = 0             # entries written so far; the store writes only if nobody wrote meanwhile
    earned: int = 0
    clawed: int = 0          # clawbacks, debt included
    redeemed: int = 0        # net of reversals
    minted: int = 0          # net of burns (on-chain markers)
    updated_at: datetime | None = None

    @property
    def exists(self) -> bool:
        return self.seq > 0


@dataclass(frozen=True)
class PaymentRecord:
    merchant_id: str
    payment_id: str
    customer_id: str
    currency: str
    version: int = 0                 # 0: not stored yet
    captured_amount: int | None = None  # None: no payment.captured seen yet (a refund came first)
    earn_rate: str | None = None
    points_earned: int = 0           # everything the capture earned: the base earn and the offer's bonus
    refunded_total: int = 0          # the highest cumulative refunded amount seen (minor units)
    points_clawed: int = 0
    category: str | None = None      # the merchant's category at capture (None: the operator set none)
    bonus_points: int = 0            # the part of points_earned the offer paid
    offer_id: str | None = None      # the offer that paid it, and the logged decision that showed it
    decision_id: str | None = None

    @property
    def captured(self) -> bool:
        return self.captured_amount is not None


@dataclass(frozen=True)
class Capture:
    merchant_id: str
    customer_id: str | None
    payment_id: str
    event_id: str
    currency: str
    amount: int
    at: datetime


@dataclass(frozen=True)
class OfferTerms:
    """An offer shown to a customer (a logged decision): `multiplier` x points on purchases at merchants of
    `category`, captured in [starts_at, ends_at)."""

    offer_id: str
    decision_id: str
    category: str
    multiplier: int
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if self.multiplier < 2 or not self.starts_at < self.ends_at:
            raise ValueError("an offer multiplies by 2 or more over a non-empty span")

    def pays_on(self, category: str | None, at: datetime) -> bool:
        """Whether a purchase at a merchant of `category`, captured at `at`, falls inside the offer."""
        return category == self.category and self.starts_at <= at < self.ends_at


@dataclass(frozen=True)
class Refund:
    merchant_id: str
    customer_id: str
    payment_id: str
    event_id: str
    refund_id: str
    currency: str
    amount: int
    total_refunded: int
    at: datetime


@dataclass(frozen=True)
class Change:
    """What applying one event (or one redemption step) changes: written together or not at all."""

    account_before: Account
    account: Account
    payment_before: PaymentRecord | None
    payment: PaymentRecord | None
    entries: tuple[Entry, ...]


RedemptionStatus = Literal["reserved", "settled", "refused", "pending"]


@dataclass(frozen=True)
class Redemption:
    """Points turned into an asset through the exchange. `reserved`: the REDEEM entry is written and the
    settlement not yet answered; `pending`: the venue's answer was lost (`smartpay rewards resolve`);
    `settled` and `refused` are final (a refusal wrote a REDEEM_REVERSAL)."""

    merchant_id: str
    customer_id: str
    redemption_id: str       # the quote's id
    wallet: str
    points: int
    asset: str
    venue: str
    quoted_out: int
    min_out: int
    status: RedemptionStatus
    created_at: datetime
    amount_out: int = 0
    reference: str | None = None   # the settlement's transaction signature or order id
    reason: str | None = None      # why it was refused
    fee_lamports: int = 0
    detail: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ChainSetup:
    """Where the points live on chain, written once by `smartpay rewards chain-setup`: the mint, the pool's
    durable nonce account and the points the platform minted into the pool as its liquidity."""

    mint: str
    pool_nonce: str
    pool_authority: str
    pool_seed_points: int
    refund_mode: str = "offset"
