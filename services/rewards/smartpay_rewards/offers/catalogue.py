"""The offers a customer can be shown: a small typed set (points multiplier x merchant category x duration) plus
"no offer", which is an action like the others (the policy may learn that showing nothing pays best)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import product


class Category(StrEnum):
    GROCERY = "grocery"
    DINING = "dining"
    FUEL = "fuel"
    TRAVEL = "travel"


MULTIPLIERS = (2, 3)
DURATIONS_DAYS = (7, 14)
# The window every choice's outcome is measured over: the longest offer, so that all actions (no offer included)
# are judged on the same span of days and a long offer is not favoured merely for counting more days of spend.
OUTCOME_WINDOW_DAYS = max(DURATIONS_DAYS)


@dataclass(frozen=True, slots=True)
class Offer:
    """`multiplier` x points on spend at `category` merchants for `duration_days`; multiplier 1 is "no offer"."""

    multiplier: int
    category: Category | None
    duration_days: int

    def __post_init__(self) -> None:
        if self.multiplier == 1:
            if self.category is not None or self.duration_days != 0:
                raise ValueError("no offer (multiplier 1) has no category and no duration")
        elif self.multiplier not in MULTIPLIERS:
            raise ValueError(f"multiplier must be one of {MULTIPLIERS} (or 1 for no offer), got {self.multiplier}")
        elif self.category is None or self.duration_days not in DURATIONS_DAYS:
            raise ValueError(f"an offer needs a category and a duration in {DURATIONS_DAYS} days")

    @property
    def is_offer(self) -> bool:
        return self.multiplier > 1

    @property
    def offer_id(self) -> str:
        if not self.is_offer:
            return "none"
        return f"{self.multiplier}x-{self.category}-{self.duration_days}d"

    def describe(self) -> str:
        if not self.is_offer:
            return "no offer"
        return f"{self.multiplier}x points at {self.category} merchants for {self.duration_days} days"

    def bonus_points(self, category_spend: float, points_per_unit: float) -> float:
        """Points given on top of the base earn for `category_spend` (currency units) made inside the offer."""
        return (self.multiplier - 1) * points_per_unit * category_spend if self.is_offer else 0.0


NO_OFFER = Offer(1, None, 0)


@dataclass(frozen=True)
class Catalogue:
    offers: tuple[Offer, ...]

    def __post_init__(self) -> None:
        ids = [o.offer_id for o in self.offers]
        if not ids:
            raise ValueError("a catalogue needs at least one action")
        if len(set(ids)) != len(ids):
            raise ValueError(f"offer ids repeat: {sorted(i for i in set(ids) if ids.count(i) > 1)}")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(o.offer_id for o in self.offers)

    def __len__(self) -> int:
        return len(self.offers)

    def index(self, offer_id: str) -> int:
        try:
            return self.ids.index(offer_id)
        except ValueError:
            raise KeyError(f"unknown offer {offer_id!r}") from None

    def by_id(self, offer_id: str) -> Offer:
        return self.offers[self.index(offer_id)]

    def for_category(self, category: str) -> Catalogue:
        """The actions a customer of a merchant of `category` can be shown: "no offer" and that category's
        offers (an offer of another category could never pay there), in the catalogue's order."""
        if category not in {c.value for c in Category}:
            raise ValueError(f"unknown category {category!r}: one of {', '.join(c.value for c in Category)}")
        return Catalogue(tuple(o for o in self.offers if not o.is_offer or o.category == category))

    def subset(self, offer_ids: tuple[str, ...]) -> Catalogue:
        """The catalogue's actions `offer_ids`, in that order (a logged action set); KeyError for one it lacks."""
        return Catalogue(tuple(self.by_id(i) for i in offer_ids))


def default_catalogue() -> Catalogue:
    """No offer, then 2x/3x x four categories x 7/14 days: 17 actions."""
    return Catalogue((NO_OFFER, *(Offer(m, c, d) for m, c, d in product(MULTIPLIERS, Category, DURATIONS_DAYS))))
