"""Simulated customers and how they respond to offers, for judging offer policies (never for training them
directly). Written apart from the feature code: a response model draws hidden traits per customer (price
sensitivity, category affinity, fatigue, lapsing), writes the history those traits would leave (purchases under
its own merchant-category names, offers shown before) and answers an offer from the traits alone. A policy sees
only the history; the traits stay here.

Two models of different shape, so that a margin found on one is checked on the other:
- LatentSegmentModel: six customer segments; an offer multiplies the purchase rate in its category by
  1 + sensitivity x (multiplier - 1)^0.7 for its duration, damped by fatigue (offers in the last 30 days,
  a repeat of the same category) and partly taken from the other categories (cannibalisation).
- ThresholdResponseModel: continuous traits; a customer either takes an offer up (logistic in a deal
  propensity, the multiplier, the duration, its preference for the category, fatigue and lapsing) and then
  makes a few extra, larger baskets in the category, or ignores it; the bonus is paid on all category spend
  inside the offer either way.

Both give each customer's expected reward for every action (the exact truth a policy's value is measured
against) and sample realised rewards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from smartpay_rewards.offers.catalogue import OUTCOME_WINDOW_DAYS, Catalogue
from smartpay_rewards.offers.history import CustomerHistory, OfferShown, Purchase
from smartpay_rewards.offers.reward import RewardDefinition

# The simulator's own category order and the merchant-category names its purchases carry.
KINDS = ("grocery", "dining", "fuel", "travel", "other")
MERCHANT_NAMES = {"grocery": ("supermarket", "grocery_store"), "dining": ("restaurant", "fast_food"),
                  "fuel": ("gas_station", "fuel_dealer"), "travel": ("airline", "hotel"),
                  "other": ("electronics", "clothing", "pharmacy_5912")}
HISTORY_DAYS = 120
NOW = datetime(2026, 6, 1, tzinfo=UTC)
WINDOW = OUTCOME_WINDOW_DAYS


@dataclass
class Cohort:
    """Customers as a policy sees them (histories, `now`) and as the model knows them (`traits`)."""

    histories: list[CustomerHistory]
    now: datetime
    traits: dict[str, np.ndarray]  # hidden: per-customer arrays, the policy never reads them

    def __len__(self) -> int:
        return len(self.histories)


def _offer_arrays(catalogue: Catalogue) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per action: multiplier (1 for none), simulator category index (-1 for none), duration days."""
    m = np.array([o.multiplier for o in catalogue.offers], dtype=float)
    c = np.array([KINDS.index(o.category.value) if o.is_offer else -1 for o in catalogue.offers])
    d = np.array([o.duration_days for o in catalogue.offers], dtype=float)
    return m, c, d


def _histories(rng: np.random.Generator, weekly: np.ndarray, weekly_before: np.ndarray, tickets: np.ndarray,
               offers: np.ndarray, catalogue: Catalogue, now: datetime) -> list[CustomerHistory]:
    """Each customer's purchases over HISTORY_DAYS at `weekly_before` rates (n, kinds) up to 30 days ago and
    `weekly` since, tickets gamma(2) around `tickets` (n, kinds); `offers[i]` offers shown in the last 60 days."""
    n = len(weekly)
    spans = ((30.0, float(HISTORY_DAYS), weekly_before), (0.0, 30.0, weekly))
    customer, kind, age = [], [], []
    for low, high, rates in spans:
        counts = rng.poisson(rates * (high - low) / 7).ravel()  # (n * kinds), customer-major
        cells = np.repeat(np.arange(n * len(KINDS)), counts)
        customer.append(cells // len(KINDS))
        kind.append(cells % len(KINDS))
        age.append(rng.uniform(low, high, len(cells)))
    customer, kind, age = np.concatenate(customer), np.concatenate(kind), np.concatenate(age)
    amount = np.round(rng.gamma(2.0, tickets[customer, kind] / 2), 2)
    pick = rng.integers(0, 6, len(kind))
    order = np.lexsort((-age, customer))  # per customer, oldest first
    bounds = np.searchsorted(customer[order], np.arange(n + 1))
    names = [MERCHANT_NAMES[KINDS[k]][p % len(MERCHANT_NAMES[KINDS[k]])]
             for k, p in zip(kind[order].tolist(), pick[order].tolist())]
    purchases = [Purchase(now - timedelta(days=a), m, name)
                 for a, m, name in zip(age[order].tolist(), amount[order].tolist(), names)]
    shown_at = rng.uniform(0.5, 60, int(offers.sum()))
    shown_id = rng.integers(1, len(catalogue), int(offers.sum()))
    shown_bounds = np.concatenate([[0], np.cumsum(offers)])
    out = []
    for i in range(n):
        lo, hi = shown_bounds[i], shown_bounds[i + 1]
        shown = sorted((OfferShown(now - timedelta(days=float(a)), catalogue.offers[int(o)].offer_id)
                        for a, o in zip(shown_at[lo:hi], shown_id[lo:hi])), key=lambda s: s.at)
        out.append(CustomerHistory(tuple(purchases[bounds[i]:bounds[i + 1]]), tuple(shown)))
    return out


def _recent_offers(history: CustomerHistory, now: datetime) -> tuple[int, int]:
    """Offers in the last 30 days, and the simulator category of the latest one within 14 days (-1: none)."""
    recent, same, latest = 0, -1, None
    for shown in history.offers:
        age = (now - shown.at).days
        if age <= 30:
            recent += 1
        if age <= 14 and (latest is None or shown.at > latest):
            latest, same = shown.at, KINDS.index(shown.offer_id.split("-")[1])
    return recent, same


@dataclass
class _Cells:
    """Purchase cells per customer (n, cells): a Poisson mean, a ticket, a time span in days after the
    choice [start, end) and the merchant kind (index into KINDS)."""

    means: np.ndarray
    tickets: np.ndarray
    start: np.ndarray
    end: np.ndarray
    kind: np.ndarray

    def add(self, means: np.ndarray, tickets: np.ndarray, start: np.ndarray, end: np.ndarray,
            kind: np.ndarray) -> _Cells:
        return _Cells(*(np.concatenate([mine, new[:, None]], axis=1) for mine, new in
                        zip((self.means, self.tickets, self.start, self.end, self.kind),
                            (means, tickets, start, end, kind))))

    def draw(self, rng: np.random.Generator, now: datetime) -> list[tuple[Purchase, ...]]:
        """Poisson(means) purchases per cell, each gamma(2) around its ticket, at a uniform time in its span
        after `now`, under one of the kind's merchant names. Oldest first per customer."""
        counts = rng.poisson(np.maximum(self.means, 0.0))
        out = []
        for i in range(len(counts)):
            found = []
            for j in np.flatnonzero(counts[i]):
                k = int(counts[i, j])
                amounts = np.maximum(np.round(rng.gamma(2.0, self.tickets[i, j] / 2, k), 2), 0.01)
                days = rng.uniform(self.start[i, j], self.end[i, j], k)
                names = MERCHANT_NAMES[KINDS[int(self.kind[i, j])]]
                picks = rng.integers(0, len(names), k)
                found += [Purchase(now + timedelta(days=float(t)), float(a), names[int(p)])
                          for t, a, p in zip(days, amounts, picks)]
            out.append(tuple(sorted(found, key=lambda p: p.at)))
        return out


def _window_cells(c: np.ndarray, d: np.ndarray, inside: np.ndarray, rest: np.ndarray,
                  tickets: np.ndarray) -> _Cells:
    """Each kind's purchases over the window (`rest`, (n, kinds)), the offer category's starting after the
    offer, plus a cell for the offer category's purchases inside the offer (`inside`, (n,))."""
    n, kinds = rest.shape
    rows = np.flatnonzero(c >= 0)
    start = np.zeros((n, kinds))
    start[rows, c[rows]] = d[rows]
    cells = _Cells(rest.copy(), tickets.copy(), start, np.full((n, kinds), float(WINDOW)),
                   np.tile(np.arange(kinds), (n, 1)))
    idx = np.maximum(c, 0)
    return cells.add(np.where(c >= 0, inside, 0.0), tickets[np.arange(n), idx], np.zeros(n),
                     np.where(c >= 0, d, float(WINDOW)), idx)


class LatentSegmentModel:
    name = "latent_segments"
    # segment: share, weekly purchases, ticket, affinity over KINDS, sensitivity, fatigue, lapse
    SEGMENTS = {
        "family_grocer": (0.22, 3.0, 45.0, (0.60, 0.10, 0.20, 0.02, 0.08), 0.50, 0.30, 0.0),
        "commuter": (0.20, 2.5, 35.0, (0.15, 0.25, 0.50, 0.02, 0.08), 0.30, 0.50, 0.0),
        "foodie": (0.18, 2.0, 40.0, (0.20, 0.60, 0.05, 0.05, 0.10), 0.80, 0.20, 0.0),
        "traveller": (0.10, 0.6, 220.0, (0.05, 0.30, 0.05, 0.50, 0.10), 0.15, 0.40, 0.0),
        "deal_hunter": (0.15, 1.5, 30.0, (0.25, 0.25, 0.20, 0.10, 0.20), 1.80, 0.10, 0.0),
        "lapsing": (0.15, 1.5, 50.0, (0.30, 0.30, 0.15, 0.05, 0.20), 1.20, 0.60, 0.8),
    }
    CANNIBALISATION = 0.3  # share of the extra category spend taken from the customer's other categories
    SAME_CATEGORY_DAMPING = 0.5  # an offer repeating the category of one shown in the last 14 days

    def __init__(self, catalogue: Catalogue, reward: RewardDefinition = RewardDefinition()):
        self.catalogue, self.reward = catalogue, reward
        self._m, self._c, self._d = _offer_arrays(catalogue)

    def customers(self, n: int, seed: int) -> Cohort:
        rng = np.random.default_rng(seed)
        names = list(self.SEGMENTS)
        shares = np.array([self.SEGMENTS[s][0] for s in names])
        segment = rng.choice(len(names), size=n, p=shares / shares.sum())
        weekly = np.empty((n, len(KINDS)))
        before = np.empty((n, len(KINDS)))
        tickets = np.empty((n, len(KINDS)))
        sensitivity, fatigue = np.empty(n), np.empty(n)
        for i in range(n):
            _, rate, ticket, affinity, sens, fat, lapse = self.SEGMENTS[names[segment[i]]]
            mix = rng.dirichlet(np.array(affinity) * 30)
            before[i] = rate * rng.lognormal(0, 0.3) * mix
            weekly[i] = before[i] * (1 - lapse)
            tickets[i] = ticket * rng.lognormal(0, 0.25, len(KINDS)) * np.where(np.arange(len(KINDS)) == 3, 2.0, 1.0)
            sensitivity[i], fatigue[i] = sens * rng.lognormal(0, 0.3), fat * rng.lognormal(0, 0.3)
        histories = _histories(rng, weekly, before, tickets, rng.poisson(1.0, n), self.catalogue, NOW)
        recent, same = np.array([_recent_offers(h, NOW) for h in histories]).reshape(n, 2).T
        # a lapsing customer is reactivated by an offer (the response is on its earlier rate, not its current one)
        response_base = np.where(segment[:, None] == names.index("lapsing"), before, weekly)
        return Cohort(histories, NOW, {"segment": segment, "weekly": weekly, "response_base": response_base,
                                       "tickets": tickets, "sensitivity": sensitivity, "fatigue": fatigue,
                                       "recent_offers": recent, "same_category": same})

    def _counts(self, t: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expected purchases per (customer, action, kind) over the window, and those of the offer category
        inside the offer (customer, action): (n, K, kinds), (n, K), plus the base counts (n, kinds)."""
        n = len(t["weekly"])
        base = t["weekly"] * WINDOW / 7  # (n, kinds)
        counts = np.repeat(base[:, None, :], len(self.catalogue), axis=1)
        in_offer = np.zeros((n, len(self.catalogue)))
        for a, (m, c, d) in enumerate(zip(self._m, self._c, self._d)):
            if c < 0:
                continue
            damping = np.exp(-t["fatigue"] * t["recent_offers"]) * np.where(t["same_category"] == c,
                                                                              self.SAME_CATEGORY_DAMPING, 1.0)
            lift = t["sensitivity"] * (m - 1) ** 0.7 * damping
            extra = t["response_base"][:, c] * d / 7 * lift
            in_offer[:, a] = t["weekly"][:, c] * d / 7 + extra
            counts[:, a, c] += extra
            others = np.arange(len(KINDS)) != c
            weight = base[:, others] / np.maximum(base[:, others].sum(axis=1, keepdims=True), 1e-9)
            counts[:, a, others] = np.maximum(
                base[:, others] - self.CANNIBALISATION * (extra * t["tickets"][:, c])[:, None] * weight
                / t["tickets"][:, others], 0.0)
        return counts, in_offer, base

    def expected_rewards(self, cohort: Cohort) -> np.ndarray:
        t = cohort.traits
        counts, in_offer, _ = self._counts(t)
        spend = (counts * t["tickets"][:, None, :]).sum(axis=2)
        ticket_c = np.where(self._c >= 0, t["tickets"][:, np.maximum(self._c, 0)], 0.0)
        bonus = (self._m - 1) * self.reward.points_per_unit * in_offer * ticket_c
        return self.reward.reward(spend, bonus)

    def sample_rewards(self, cohort: Cohort, actions: np.ndarray, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        t = cohort.traits
        counts, in_offer, _ = self._counts(t)
        rows = np.arange(len(actions))
        mean_counts = counts[rows, actions]  # (n, kinds)
        c = self._c[actions]
        has = c >= 0
        idx = np.maximum(c, 0)
        # the offer category's purchases split into those inside the offer (bonus) and after it
        inside_mean = np.where(has, in_offer[rows, actions], 0.0)
        inside = rng.poisson(inside_mean)
        rest = mean_counts.copy()
        rest[rows, idx] = np.where(has, np.maximum(mean_counts[rows, idx] - inside_mean, 0.0), rest[rows, idx])
        n_rest = rng.poisson(rest)
        tickets = t["tickets"]
        # a sum of k gamma(2, theta) tickets is gamma(2k, theta)
        spend_rest = np.where(n_rest > 0, rng.gamma(np.maximum(2 * n_rest, 1), tickets / 2), 0.0).sum(axis=1)
        ticket_c = tickets[rows, idx]
        spend_inside = np.where(inside > 0, rng.gamma(np.maximum(2 * inside, 1), ticket_c / 2), 0.0)
        bonus = (self._m[actions] - 1) * self.reward.points_per_unit * spend_inside
        return self.reward.reward(spend_rest + spend_inside, bonus)

    def sample_purchases(self, cohort: Cohort, actions: np.ndarray, seed: int) -> list[tuple[Purchase, ...]]:
        """Each customer's purchases over the window after the choice of `actions[i]` at `cohort.now`, one by
        one (the means sample_rewards draws from): the offer category's purchases inside the offer, its usual
        ones after it, the other categories' over the whole window. Merchant categories under this model's own
        names (MERCHANT_NAMES: `supermarket`, `gas_station`, ...)."""
        rng = np.random.default_rng(seed)
        t = cohort.traits
        counts, in_offer, _ = self._counts(t)
        rows = np.arange(len(actions))
        c, d = self._c[actions], self._d[actions]
        has = c >= 0
        rest = counts[rows, actions].copy()  # (n, kinds)
        inside = np.where(has, in_offer[rows, actions], 0.0)
        idx = np.maximum(c, 0)
        rest[rows, idx] = np.where(has, np.maximum(rest[rows, idx] - inside, 0.0), rest[rows, idx])
        return _window_cells(c, d, inside, rest, t["tickets"]).draw(rng, cohort.now)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class ThresholdResponseModel:
    name = "threshold_response"
    STOCK_UP = 1.3  # an extra basket bought for an offer is this much larger than a usual one

    def __init__(self, catalogue: Catalogue, reward: RewardDefinition = RewardDefinition()):
        self.catalogue, self.reward = catalogue, reward
        self._m, self._c, self._d = _offer_arrays(catalogue)

    def customers(self, n: int, seed: int) -> Cohort:
        rng = np.random.default_rng(seed)
        rate = rng.gamma(2.0, 0.9, n)  # baskets a week
        preference = np.exp(rng.normal(0, 1.2, (n, len(KINDS))))
        preference /= preference.sum(axis=1, keepdims=True)
        ticket = rng.lognormal(3.6, 0.5, n)
        tickets = ticket[:, None] * np.where(np.arange(len(KINDS)) == 3, 1.5, 1.0)
        deal = rng.beta(1.5, 3.0, n)
        lapsed = rng.random(n) < 0.2
        before = rate[:, None] * preference
        weekly = before * np.where(lapsed, 0.15, 1.0)[:, None]
        histories = _histories(rng, weekly, before, tickets, rng.poisson(1.2, n), self.catalogue, NOW)
        recent = np.array([_recent_offers(h, NOW)[0] for h in histories], dtype=int)
        return Cohort(histories, NOW, {"weekly": weekly, "preference": preference, "tickets": tickets,
                                       "deal": deal, "lapsed": lapsed.astype(float), "recent_offers": recent})

    def take_up(self, t: dict[str, np.ndarray]) -> np.ndarray:
        """Probability each customer takes each offer up: (n, K), 0 for no offer."""
        pref = np.where(self._c >= 0, t["preference"][:, np.maximum(self._c, 0)], 0.0)
        logit = (-4.0 + 3.0 * t["deal"][:, None] + 0.8 * (self._m - 2) + 0.3 * (self._d == 14) + 7.0 * pref
                 - 0.9 * t["recent_offers"][:, None] - 1.0 * t["lapsed"][:, None])
        return np.where(self._c >= 0, _sigmoid(logit), 0.0)

    def _extra_baskets(self) -> np.ndarray:
        return np.where(self._c >= 0, 1.0 + 0.8 * (self._m - 2) + 0.5 * (self._d == 14), 0.0)

    def expected_rewards(self, cohort: Cohort) -> np.ndarray:
        t = cohort.traits
        base_spend = (t["weekly"] * t["tickets"]).sum(axis=1) * WINDOW / 7
        idx = np.maximum(self._c, 0)
        ticket_c = t["tickets"][:, idx]
        extra = self.take_up(t) * self._extra_baskets() * self.STOCK_UP * ticket_c
        usual_inside = np.where(self._c >= 0, t["weekly"][:, idx] * self._d / 7 * ticket_c, 0.0)
        bonus = (self._m - 1) * self.reward.points_per_unit * (usual_inside + extra)
        return self.reward.reward(base_spend[:, None] + extra, bonus)

    def sample_rewards(self, cohort: Cohort, actions: np.ndarray, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        t = cohort.traits
        rows = np.arange(len(actions))
        c, m, d = self._c[actions], self._m[actions], self._d[actions]
        has = c >= 0
        idx = np.maximum(c, 0)
        ticket_c = t["tickets"][rows, idx]
        inside_mean = np.where(has, t["weekly"][rows, idx] * d / 7, 0.0)
        rest_mean = t["weekly"] * WINDOW / 7
        rest_mean[rows, idx] -= inside_mean
        n_rest, n_inside = rng.poisson(np.maximum(rest_mean, 0.0)), rng.poisson(inside_mean)
        spend_rest = np.where(n_rest > 0, rng.gamma(np.maximum(2 * n_rest, 1), t["tickets"] / 2), 0.0).sum(axis=1)
        spend_inside = np.where(n_inside > 0, rng.gamma(np.maximum(2 * n_inside, 1), ticket_c / 2), 0.0)
        took = rng.random(len(actions)) < self.take_up(t)[rows, actions]
        n_extra = np.where(took, rng.poisson(self._extra_baskets()[actions]), 0)
        extra = np.where(n_extra > 0, rng.gamma(np.maximum(2 * n_extra, 1), self.STOCK_UP * ticket_c / 2), 0.0)
        bonus = (m - 1) * self.reward.points_per_unit * (spend_inside + extra)
        return self.reward.reward(spend_rest + spend_inside + extra, bonus)

    def sample_purchases(self, cohort: Cohort, actions: np.ndarray, seed: int) -> list[tuple[Purchase, ...]]:
        """As LatentSegmentModel.sample_purchases: the usual purchases, and for a customer who takes the offer
        up, its extra baskets (STOCK_UP x the usual ticket) inside the offer."""
        rng = np.random.default_rng(seed)
        t = cohort.traits
        rows = np.arange(len(actions))
        c, d = self._c[actions], self._d[actions]
        has = c >= 0
        idx = np.maximum(c, 0)
        inside_usual = np.where(has, t["weekly"][rows, idx] * d / 7, 0.0)
        rest = t["weekly"] * WINDOW / 7
        rest[rows, idx] -= inside_usual
        cells = _window_cells(c, d, inside_usual, np.maximum(rest, 0.0), t["tickets"])
        took = rng.random(len(actions)) < self.take_up(t)[rows, actions]
        extra = np.where(took, self._extra_baskets()[actions], 0.0)  # 0 for no offer
        cells = cells.add(extra, self.STOCK_UP * t["tickets"][rows, idx], np.zeros(len(actions)),
                          np.where(has, d, float(WINDOW)), idx)
        return cells.draw(rng, cohort.now)


RESPONSE_MODELS = {LatentSegmentModel.name: LatentSegmentModel, ThresholdResponseModel.name: ThresholdResponseModel}
