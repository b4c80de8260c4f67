"""Score one payment (or a batch): validate, record + read its online velocity features, add the
derived ones, let the model assess it. The ports are what the adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from smartpay_fraud.domain.decision import Assessment
from smartpay_fraud.domain.features import FeatureSet, derived_values
from smartpay_fraud.domain.transactions import CURRENCY_EXPONENTS, Transaction, validate


class FeatureStore(Protocol):
    def record_and_read(self, txn: Transaction, features: FeatureSet) -> dict[str, float]: ...

    def record_and_read_many(self, txns: Sequence[Transaction], features: FeatureSet) -> list[dict[str, float]]: ...


class RiskModel(Protocol):
    @property
    def version(self) -> str: ...

    @property
    def online_features(self) -> FeatureSet: ...

    def assess(self, instances: list[dict], reasons: int = 3) -> list[Assessment]: ...


def model_inputs(txns: Sequence[Transaction], velocities: Sequence[dict[str, float]],
                 features: FeatureSet) -> list[dict]:
    """The payloads the model (in process or on SageMaker) receives; derived features computed for the
    whole batch at once by the same function the offline path uses."""
    names = [f.name for f in features.velocity]
    columns = {n: np.array([v[n] for v in velocities], dtype=np.float64) for n in names}
    derived = derived_values(columns, np.array([t.amount for t in txns], dtype=np.float64),
                             np.array([t.timestamp_ms for t in txns], dtype=np.int64),
                             {d.name for d in features.derived})
    derived_rows = [dict(zip(derived, row)) for row in zip(*derived.values())] if derived else [{}] * len(txns)
    out = []
    for txn, velocity, extra in zip(txns, velocities, derived_rows, strict=True):
        values = {**velocity, **{k: float(v) for k, v in extra.items()}}
        out.append({"features": {k: (None if v != v else v) for k, v in values.items()},  # NaN -> null (JSON)
                    "entities": {"card_id": txn.card_id, "device_id": txn.device_id, "ip_address": txn.ip_address},
                    "exponent": CURRENCY_EXPONENTS.get(txn.currency, 2)})
    return out


def model_input(txn: Transaction, velocity: dict[str, float], features: FeatureSet) -> dict:
    return model_inputs([txn], [velocity], features)[0]


class ScoringService:
    def __init__(self, store: FeatureStore, model: RiskModel, reasons: int = 3):
        self.store = store
        self.model = model
        self.reasons = reasons
        self._features = model.online_features

    def score(self, txn: Transaction) -> Assessment:
        validate(txn)
        velocity = self.store.record_and_read(txn, self._features)
        return self.model.assess([model_input(txn, velocity, self._features)], self.reasons)[0]

    def score_many(self, txns: Sequence[Transaction], reasons: int | None = None) -> list[Assessment]:
        for txn in txns:
            validate(txn)
        velocities = self.store.record_and_read_many(txns, self._features)
        inputs = model_inputs(txns, velocities, self._features)
        return self.model.assess(inputs, self.reasons if reasons is None else reasons)
