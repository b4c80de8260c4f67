"""What a logged offer decision earned, read from the points ledger (pure: the caller passes the entries).

The reward is reward.py's, over the OUTCOME_WINDOW_DAYS (14) after the decision, for every action alike:

    reward = margin_rate x spend - point_value x (points + bonus)

- spend: the captured amounts of the payments captured in [decided_at, decided_at + window), each times the
  share of its points the refunds of the same window left (a clawback or debt entry dated inside the window);
- points: those payments' base earn points (the merchant's own earn rate, as credited) net of the share
  those clawbacks took;
- bonus: the OFFER_BONUS points the ledger paid for THIS decision's offer (the entries whose reference is
  its decision id; the ledger pays only at merchants of the offer's category, inside the offer), net of the
  same share. A bonus another decision's offer paid inside the window is that decision's cost, not this one's.

Only entries with a payment count (redemptions and chain markers change no spend); another payment's refund
inside the window (a purchase made before the decision) is not this decision's doing and is left out. The
window is half-open and fixed by the decision time, so a reward read after the window has elapsed does not
change with later refunds: training on the same log twice gives the same rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from smartpay_shared.money import CURRENCY_EXPONENTS

from smartpay_rewards.domain.model import Entry, EntryKind
from smartpay_rewards.offers.catalogue import OUTCOME_WINDOW_DAYS
from smartpay_rewards.offers.history import Purchase
from smartpay_rewards.offers.reward import RewardDefinition

WINDOW = timedelta(days=OUTCOME_WINDOW_DAYS)


@dataclass(frozen=True)
class PaymentActivity:
    """One captured payment as the ledger records it: when, how much, the points earned and clawed back."""

    payment_id: str
    at: datetime
    amount: float   # currency units (major): the earn entry's captured amount
    earned: int     # points: the base earn and the offer's bonus
    clawed: int     # points clawed back (balance or debt), among the entries given
    bonus: int = 0  # the part of `earned` an offer paid
    bonus_decision: str | None = None  # the decision whose offer paid it

    @property
    def kept(self) -> float:
        """The share of the payment refunds left (a clawback takes the same share of base and bonus)."""
        return max(0.0, 1.0 - self.clawed / self.earned) if self.earned > 0 else 1.0

    @property
    def net_points(self) -> int:
        return max(0, self.earned - self.clawed)


class EarnWithoutAmount(ValueError):
    """An earn entry that does not carry the captured amount (one written before entries carried it)."""


def captured_amount(e: Entry) -> float:
    """The earn entry's captured amount in major units; EarnWithoutAmount when it carries none (never a guess)."""
    if e.amount is None or e.currency not in CURRENCY_EXPONENTS:
        raise EarnWithoutAmount(f"earn entry {e.entry_id} carries no captured amount in a known currency "
                                f"(amount {e.amount!r}, currency {e.currency!r})")
    return e.amount / 10 ** CURRENCY_EXPONENTS[e.currency]


def payments_from(entries: Iterable[Entry], *, refunds_before: datetime | None = None,
                  strict: bool = True) -> list[PaymentActivity]:
    """The captured payments among `entries`, oldest first, with the clawbacks (and debt) of the same payment
    dated before `refunds_before` (all of them when None). An earn entry without its captured amount raises
    EarnWithoutAmount when `strict` (training: no guessed outcome), and is left out otherwise (a statement's
    features: an older entry must not turn a customer's statement into an error)."""
    earned: dict[str, tuple[datetime, float, int]] = {}
    bonus: dict[str, tuple[int, str | None]] = {}
    clawed: dict[str, int] = defaultdict(int)
    for e in entries:
        if e.payment_id is None:
            continue
        if e.kind == EntryKind.EARN:
            if not strict and (e.amount is None or e.currency not in CURRENCY_EXPONENTS):
                continue
            earned[e.payment_id] = (e.at, captured_amount(e), e.points)
        elif e.kind == EntryKind.OFFER_BONUS:
            bonus[e.payment_id] = (e.points, e.reference)
        elif refunds_before is not None and e.at >= refunds_before:
            continue
        elif e.kind == EntryKind.CLAWBACK:
            clawed[e.payment_id] += -e.points
        elif e.kind == EntryKind.DEBT:
            clawed[e.payment_id] += e.debt_change
    out = []
    for pid, (at, amount, points) in earned.items():
        extra, decision = bonus.get(pid, (0, None))
        out.append(PaymentActivity(pid, at, amount, points + extra, clawed[pid], extra, decision))
    return sorted(out, key=lambda p: (p.at, p.payment_id))


def purchases_from(entries: Iterable[Entry]) -> tuple[Purchase, ...]:
    """Earn entries as purchases for the features: the captured amount in major units, times the share refunds
    left (clawback and debt entries of the same payment). No merchant category: the entries do not carry it.
    Earn entries written before entries carried their amount are left out of the features."""
    return tuple(Purchase(p.at, p.amount * p.kept, None) for p in payments_from(entries, strict=False))


@dataclass(frozen=True)
class Outcome:
    spend: float         # currency units, net of the window's refunds
    points: float        # base earn of that spend, net of clawbacks (a share, when a clawback took base and bonus)
    bonus_points: float  # what this decision's offer paid on it, net of clawbacks (0 for no offer)
    payments: int        # payments captured in the window
    reward: float

    def to_dict(self) -> dict:
        return {"spend": self.spend, "points": self.points, "bonus_points": self.bonus_points,
                "payments": self.payments, "reward": self.reward}


def outcome_of(decision_id: str, decided_at: datetime, entries: Iterable[Entry],
               definition: RewardDefinition = RewardDefinition(), window: timedelta = WINDOW) -> Outcome:
    """What decision `decision_id`, made at `decided_at`, earned over `window` (see the module doc). `entries`
    are the merchant's customer's ledger entries (any span: those outside the window are ignored)."""
    if decided_at.tzinfo is None:
        raise ValueError("the decision time must be timezone-aware")
    end = decided_at + window
    inside = [p for p in payments_from(entries, refunds_before=end) if decided_at <= p.at < end]
    spend = sum(p.amount * p.kept for p in inside)
    # Clawbacks take base and bonus in proportion: what is left of each is its share of the net points.
    bonus = sum(p.bonus * p.kept for p in inside if p.bonus_decision == decision_id)
    points = sum(p.net_points - p.bonus * p.kept for p in inside)
    return Outcome(spend, points, bonus, len(inside), definition.of(spend, points + bonus))
