"""Every feature is defined once here; the offline (pandas) and online (Redis) paths both read these
definitions, and the derived features are one numpy function both paths call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import re
from typing import Literal

import numpy as np

from smartpay_fraud.domain.errors import ModelNotAvailable

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# The window and entity definitions both paths implement; a model records it and is refused by a different one.
# tenant-bucketed-v2 = bucketed-v1 windows with every entity scoped to its merchant (no cross-merchant feature).
FEATURE_SCHEME = "tenant-bucketed-v2"
# Windows are counted in UTC-aligned time buckets: window -> bucket size.
BUCKET_MS = {HOUR: 5 * MINUTE, DAY: HOUR, 7 * DAY: 6 * HOUR, 30 * DAY: DAY}

Aggregate = Literal["count", "sum", "distinct", "fraud"]
# Fields an online window member carries, in this order (the Lua script reads them by position; append only).
MEMBER_FIELDS = ("amount", "merchant_id", "device_id", "country", "ip_address", "card_id", "terminal_id")
# Label-delayed risk windows (docs/fraud.md, Label feedback): whole UTC days ending `delay` days before the payment.
DEFAULT_LABEL_DELAY_DAYS = 7
MAX_LABEL_DELAY_DAYS = 14  # the online state keeps 30 + 14 days of day buckets: a longer delay is refused
LABEL_WINDOWS_DAYS = (1, 7, 30)
LABEL_ENTITIES = {"merchant_id": "merchant", "terminal_id": "terminal", "device_id": "device",
                  "ip_address": "ip", "card_id": "card"}


# The tenant: the merchant of the verified token (API) or of the payment event, never a body field.
TENANT = "merchant_id"


def scope(entity: tuple[str, ...]) -> tuple[str, ...]:
    """The ids an entity's identity is made of. Every id a merchant sends (card token, customer, device, IP...)
    is that merchant's: merchant B sending A's customer and device ids gets entities of its own, never A's. The
    merchant entity is the tenant itself. The one definition of scoping both paths (and the graph) follow."""
    return entity if TENANT in entity else (TENANT, *entity)


def scoped_key(parts: Sequence[str]) -> str:
    """One string per tuple of ids, unambiguously: each part length-prefixed, so no choice of ids spells another
    tuple (("m1", "a:b") and ("m1:a", "b") differ, whatever separators the ids contain)."""
    return "".join(f"{len(p)}:{p}" for p in parts)


@dataclass(frozen=True)
class VelocityFeature:
    """An aggregate over the transactions of one entity (or entity pair) in a bucketed window: the
    payments whose UTC-aligned bucket (timestamp // bucket_ms) is one of the `buckets` latest up to the
    current payment's bucket, i.e. bucket(t_j) > bucket(t) - buckets, the current payment included and
    later payments of the stream excluded. The window so covers between window - bucket and window."""

    name: str
    entity: tuple[str, ...]
    window_ms: int
    agg: Aggregate
    field: str | None = None  # the counterpart a "distinct" counts (missing values are not counted)
    bucket_ms: int = 0
    # Label-delayed windows end `delay_ms` before the payment's bucket: bucket(t) - delay - buckets < bucket(t_j)
    # <= bucket(t) - delay (delay in buckets), so the current payment is never in them. agg "fraud" counts the
    # payments in the window whose fraud label was known at the time of the payment scored.
    delay_ms: int = 0

    def __post_init__(self):
        if not self.bucket_ms:
            object.__setattr__(self, "bucket_ms", BUCKET_MS[self.window_ms])
        if self.window_ms % self.bucket_ms or self.delay_ms % self.bucket_ms:
            raise ValueError(f"{self.name}: the window and the delay must be whole numbers of buckets")

    @property
    def delay_buckets(self) -> int:
        return self.delay_ms // self.bucket_ms

    @property
    def reach_ms(self) -> int:
        """How far back the feature reads (window + delay)."""
        return self.window_ms + self.delay_ms

    @property
    def buckets(self) -> int:
        return self.window_ms // self.bucket_ms

    @property
    def requires(self) -> frozenset[str]:
        extra = {self.field} if self.field else set()
        if self.agg == "fraud" or self.delay_ms:  # the label group (counts are the fraud shares' denominators)
            extra.add("is_fraud")
        return frozenset(self.key) | extra | ({"amount"} if self.agg == "sum" else set())

    @property
    def entity_name(self) -> str:
        return "+".join(self.entity)

    @property
    def key(self) -> tuple[str, ...]:
        """The columns the entity's key is built from: the entity scoped to the merchant that sent it."""
        return scope(self.entity)


def _v(name, entity, window, agg, field=None) -> VelocityFeature:
    return VelocityFeature(name, tuple(entity.split("+")), window, agg, field)


# Every entity is per merchant (`scope`), so nothing here counts across merchants: `card_distinct_merchants_24h`
# (a card's merchants) was dropped with tenant-bucketed-v2, a merchant-scoped card has one merchant. A cross-merchant
# signal would need an id the platform derives itself (a vault card fingerprint); no event carries one today.
VELOCITY: tuple[VelocityFeature, ...] = (
    _v("card_count_1h", "card_id", HOUR, "count"),
    _v("card_count_24h", "card_id", DAY, "count"),
    _v("card_count_7d", "card_id", 7 * DAY, "count"),
    _v("card_sum_1h", "card_id", HOUR, "sum"),
    _v("card_sum_24h", "card_id", DAY, "sum"),
    _v("card_sum_7d", "card_id", 7 * DAY, "sum"),
    _v("card_distinct_devices_7d", "card_id", 7 * DAY, "distinct", "device_id"),
    _v("card_distinct_countries_7d", "card_id", 7 * DAY, "distinct", "country"),
    _v("card_distinct_ips_24h", "card_id", DAY, "distinct", "ip_address"),
    _v("customer_count_24h", "customer_id", DAY, "count"),
    _v("customer_distinct_cards_7d", "customer_id", 7 * DAY, "distinct", "card_id"),
    _v("device_count_24h", "device_id", DAY, "count"),
    _v("device_distinct_cards_24h", "device_id", DAY, "distinct", "card_id"),
    _v("device_distinct_cards_7d", "device_id", 7 * DAY, "distinct", "card_id"),
    _v("ip_count_1h", "ip_address", HOUR, "count"),
    _v("ip_distinct_cards_24h", "ip_address", DAY, "distinct", "card_id"),
    _v("merchant_count_1h", "merchant_id", HOUR, "count"),
    _v("merchant_count_24h", "merchant_id", DAY, "count"),
    _v("merchant_distinct_cards_1h", "merchant_id", HOUR, "distinct", "card_id"),
    _v("card_device_count_30d", "card_id+device_id", 30 * DAY, "count"),
    _v("card_country_count_30d", "card_id+country", 30 * DAY, "count"),
    _v("card_count_30d", "card_id", 30 * DAY, "count"),
    _v("card_sum_30d", "card_id", 30 * DAY, "sum"),
)


def label_features(delay_days: int = DEFAULT_LABEL_DELAY_DAYS) -> tuple[VelocityFeature, ...]:
    """Per merchant, terminal, device, IP and card: payments and known frauds over the windows of
    LABEL_WINDOWS_DAYS ending `delay_days` before the payment's day, e.g. `terminal_fraud_count_7d_lag7d`."""
    if not 1 <= int(delay_days) <= MAX_LABEL_DELAY_DAYS or int(delay_days) != delay_days:
        raise ValueError(f"label delay must be a whole number of days from 1 to {MAX_LABEL_DELAY_DAYS}, "
                         f"got {delay_days}")
    out = []
    for column, short in LABEL_ENTITIES.items():
        for n in LABEL_WINDOWS_DAYS:
            for agg in ("count", "fraud"):
                name = f"{short}_{'fraud_count' if agg == 'fraud' else 'count'}_{n}d_lag{int(delay_days)}d"
                out.append(VelocityFeature(name, (column,), n * DAY, agg, None, DAY, int(delay_days) * DAY))
    return tuple(out)


_LABEL_NAME = re.compile(r"^[a-z]+_(?:fraud_count|count|fraud_share)_\d+d_lag(\d+)d$")
# How far back any feature of the catalogue reads (the online state's TTL and pruning follow it).
MAX_REACH_MS = max(f.reach_ms for f in VELOCITY + label_features(MAX_LABEL_DELAY_DAYS))
MAX_WINDOW_MS = MAX_REACH_MS


@dataclass(frozen=True)
class DerivedFeature:
    name: str
    requires: frozenset[str]
    uses: tuple[str, ...] = ()  # velocity features it is computed from


DERIVED: tuple[DerivedFeature, ...] = (
    DerivedFeature("amount_log", frozenset({"amount"})),
    DerivedFeature("hour_of_day", frozenset({"timestamp"})),
    DerivedFeature("amount_to_card_mean_7d", frozenset({"amount", "card_id"}), ("card_sum_7d", "card_count_7d")),
    DerivedFeature("card_device_is_new", frozenset({"card_id", "device_id"}), ("card_device_count_30d",)),
    DerivedFeature("card_country_is_new", frozenset({"card_id", "country"}), ("card_country_count_30d",)),
    DerivedFeature("card_mean_amount_30d", frozenset({"amount", "card_id"}), ("card_sum_30d", "card_count_30d")),
    DerivedFeature("is_weekend", frozenset({"timestamp"})),
)


def label_derived(delay_days: int = DEFAULT_LABEL_DELAY_DAYS) -> tuple[DerivedFeature, ...]:
    """Fraud share = known frauds / payments over the same delayed window (missing when it saw no payment)."""
    out = []
    for column, short in LABEL_ENTITIES.items():
        for n in LABEL_WINDOWS_DAYS:
            lag = f"{n}d_lag{int(delay_days)}d"
            out.append(DerivedFeature(f"{short}_fraud_share_{lag}", frozenset({column, "is_fraud"}),
                                      (f"{short}_fraud_count_{lag}", f"{short}_count_{lag}")))
    return tuple(out)


def derived_values(velocity: dict[str, np.ndarray], amount: np.ndarray, ts_ms: np.ndarray,
                   names: set[str]) -> dict[str, np.ndarray]:
    """The derived features, vectorised; the online path calls it with arrays of length one."""
    out: dict[str, np.ndarray] = {}
    amount = np.asarray(amount, dtype=np.float64)
    if "amount_log" in names:
        out["amount_log"] = np.log1p(amount)
    if "hour_of_day" in names:
        out["hour_of_day"] = ((np.asarray(ts_ms, dtype=np.int64) // HOUR) % 24).astype(np.float64)
    if "amount_to_card_mean_7d" in names:
        count, total = velocity["card_count_7d"], velocity["card_sum_7d"]
        with np.errstate(divide="ignore", invalid="ignore"):
            prior_mean = (total - amount) / (count - 1)
        out["amount_to_card_mean_7d"] = np.where(count > 1, amount / np.maximum(prior_mean, 1.0), np.nan)
    if "card_device_is_new" in names:
        c = velocity["card_device_count_30d"]
        out["card_device_is_new"] = np.where(np.isnan(c), np.nan, (c == 1).astype(np.float64))
    if "card_country_is_new" in names:
        c = velocity["card_country_count_30d"]
        out["card_country_is_new"] = np.where(np.isnan(c), np.nan, (c == 1).astype(np.float64))
    if "card_mean_amount_30d" in names:  # the current payment included (it is in the window)
        count, total = velocity["card_count_30d"], velocity["card_sum_30d"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["card_mean_amount_30d"] = np.where(count > 0, total / count, np.nan)
    if "is_weekend" in names:  # UTC day: Saturday or Sunday (1970-01-01 was a Thursday)
        day = np.asarray(ts_ms, dtype=np.int64) // DAY
        out["is_weekend"] = ((day + 3) % 7 >= 5).astype(np.float64)
    for name in names:
        if "_fraud_share_" in name:
            frauds, payments = velocity[name.replace("_share_", "_count_")], velocity[name.replace("_fraud_share_",
                                                                                                    "_count_")]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[name] = np.where(payments > 0, frauds / payments, np.nan)
    return out


@dataclass(frozen=True)
class FeatureSet:
    """The features a data set's columns allow; the rest are left out, with the reason."""

    velocity: tuple[VelocityFeature, ...]
    derived: tuple[DerivedFeature, ...]
    left_out: dict[str, str]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.velocity] + [f.name for f in self.derived]


# Computable (a registered model trained with it is still served) but no longer trained on: fraud in the generator
# follows the same day curve as legitimate spending, so the UTC hour carried no signal and the trees split on
# noise in it: the shipped model declined a card-testing burst from 14:00 UTC and approved the same burst
# before 13:00 (holdout PR-AUC 0.395 with it, 0.487 without; test_cli_publish scores the burst at every hour).
# A UTC hour is also a different local hour per merchant.
NOT_TRAINED = {"hour_of_day": "not trained on: the UTC hour overfits (docs/fraud.md)"}


def feature_set(columns: set[str], label_delay_days: int = DEFAULT_LABEL_DELAY_DAYS) -> FeatureSet:
    """The catalogue's features the columns allow; the label-delayed ones need the label column (`is_fraud`)."""
    available = set(columns) | {"timestamp"}
    velocity, derived, left_out = [], [], dict(NOT_TRAINED)
    for f in VELOCITY + label_features(label_delay_days):
        missing = f.requires - available
        if missing:
            left_out[f.name] = "needs " + ", ".join(sorted(missing))
        else:
            velocity.append(f)
    have = {f.name for f in velocity}
    for d in DERIVED + label_derived(label_delay_days):
        if d.name in NOT_TRAINED:
            continue
        missing = (d.requires - available) | {u for u in d.uses if u not in have}
        if missing:
            left_out[d.name] = "needs " + ", ".join(sorted(missing))
        else:
            derived.append(d)
    return FeatureSet(tuple(velocity), tuple(derived), left_out)


FULL = feature_set(set(MEMBER_FIELDS) | {"customer_id", "timestamp"})


def feature_set_from_names(names: list[str]) -> FeatureSet:
    """The velocity and derived features a model was trained with (graph features are not in here)."""
    wanted = set(names)
    delays = sorted({int(m.group(1)) for m in map(_LABEL_NAME.match, names) if m})
    velocity = VELOCITY + tuple(f for d in delays for f in label_features(d))
    derived = DERIVED + tuple(f for d in delays for f in label_derived(d))
    return FeatureSet(tuple(f for f in velocity if f.name in wanted), tuple(d for d in derived if d.name in wanted),
                      {})


def uses_labels(features: FeatureSet) -> bool:
    return any(f.agg == "fraud" for f in features.velocity)


def check_scheme(metadata: dict) -> None:
    """A model trained on other window definitions would be served features it never saw: refuse it."""
    scheme = metadata.get("feature_scheme")
    if scheme != FEATURE_SCHEME:
        raise ModelNotAvailable(
            f"model {metadata.get('version')} was trained with feature scheme {scheme or 'sliding (unversioned)'}, "
            f"this service computes {FEATURE_SCHEME}: retrain it (`smartpay fraud train --quick --publish`)")


# What the serving path fills in a Transaction (POST /fraud body + token, payment.requested); fraud labels reach the
# online store through record_labels. `terminal_id` is not carried by either yet: a model needing it is batch-only.
SERVING_FIELDS = frozenset({"merchant_id", "card_id", "customer_id", "device_id", "ip_address", "country",
                            "merchant_category", "amount", "timestamp", "is_fraud"})


def check_servable(metadata: dict) -> None:
    """Refuse to serve a model whose features need a field the online path never receives (it would read a
    missing value where training saw one): like the scheme check, at load, on the serving path."""
    features = feature_set_from_names(list(metadata.get("features", [])))
    needs = set().union(*(f.requires for f in features.velocity), *(d.requires for d in features.derived)) \
        if features.velocity or features.derived else set()
    missing = sorted(needs - SERVING_FIELDS)
    if missing:
        raise ModelNotAvailable(
            f"model {metadata.get('version')} needs {', '.join(missing)}, which POST /fraud and payment.requested "
            "do not carry: it is for batch scoring only; train a servable one with `smartpay fraud train --publish` "
            "(which leaves such columns out)")
