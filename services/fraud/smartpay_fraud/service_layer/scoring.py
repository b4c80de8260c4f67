"""Score one payment (or a batch): validate, record + read its online velocity features, add the
derived ones, let the model assess it. The ports are what the adapters implement. A single request is
a batch of one: one code path, one set of semantics."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from smartpay_fraud.domain.decision import Assessment
from smartpay_fraud.domain.features import FeatureSet, derived_values
from smartpay_fraud.domain.transactions import CURRENCY_EXPONENTS, Transaction, validate


class FeatureStore(Protocol):
    def record_and_read_chunks(self, txns: Sequence[Transaction], features: FeatureSet
                               ) -> Iterator[tuple[int, np.ndarray]]: ...


@dataclass(frozen=True)
class FeatureBatch:
    """What the model needs for a batch: a float matrix (NaN = missing) over `names`, plus per payment the
    entities the graph snapshot is looked up by (with the merchant they are scoped to) and the currency's
    minor-unit exponent (for reasons)."""

    names: list[str]
    values: np.ndarray
    entities: list[tuple[str, str | None, str | None, str | None]]  # merchant_id, card_id, device_id, ip_address
    exponents: list[int]

    def __len__(self) -> int:
        return len(self.entities)

    def to_instances(self) -> list[dict]:
        """The JSON payload form (SageMaker InvokeEndpoint): NaN -> null."""
        rows = self.values.tolist()
        return [{"features": {k: (None if v != v else v) for k, v in zip(self.names, row, strict=True)},
                 "entities": {"merchant_id": m, "card_id": c, "device_id": d, "ip_address": i}, "exponent": e}
                for row, (m, c, d, i), e in zip(rows, self.entities, self.exponents, strict=True)]


class RiskModel(Protocol):
    # True for a model behind a network call (SageMaker): a batch is assessed in one call, not chunk by chunk.
    remote: bool

    @property
    def version(self) -> str: ...

    @property
    def online_features(self) -> FeatureSet: ...

    def assess_batch(self, batch: FeatureBatch, reasons: int = 3) -> list[Assessment]: ...


def feature_batch(txns: Sequence[Transaction], velocity: np.ndarray, features: FeatureSet) -> FeatureBatch:
    """Velocity columns as read + the derived ones, computed for the whole batch by the same function the
    offline path uses."""
    names = [f.name for f in features.velocity]
    columns = {n: velocity[:, j] for j, n in enumerate(names)}
    derived = derived_values(columns, np.array([t.amount for t in txns], dtype=np.float64),
                             np.array([t.timestamp_ms for t in txns], dtype=np.int64),
                             {d.name for d in features.derived})
    order = [d.name for d in features.derived if d.name in derived]
    values = np.column_stack([velocity] + [derived[n] for n in order]) if order else velocity
    return FeatureBatch(names + order, values.astype(np.float64, copy=False),
                        [(t.merchant_id, t.card_id, t.device_id, t.ip_address) for t in txns],
                        [CURRENCY_EXPONENTS.get(t.currency, 2) for t in txns])


def model_inputs(txns: Sequence[Transaction], velocities: Sequence[dict[str, float]],
                 features: FeatureSet) -> list[dict]:
    """The JSON payloads (as SageMaker receives them) for velocity values given as dicts."""
    names = [f.name for f in features.velocity]
    matrix = np.array([[v[n] for n in names] for v in velocities], dtype=np.float64).reshape(len(txns), len(names))
    return feature_batch(txns, matrix, features).to_instances()


def model_input(txn: Transaction, velocity: dict[str, float], features: FeatureSet) -> dict:
    return model_inputs([txn], [velocity], features)[0]


class ScoringService:
    def __init__(self, store: FeatureStore, model: RiskModel, reasons: int = 3):
        self.store = store
        self.model = model
        self.reasons = reasons
        self._features = model.online_features

    def score(self, txn: Transaction) -> Assessment:
        return self.score_many([txn])[0]

    def score_many(self, txns: Sequence[Transaction], reasons: int | None = None) -> list[Assessment]:
        """All payments validated first (one invalid payment fails the batch before anything is counted),
        then one feature-store round trip for the batch, in order. An in-process model assesses each chunk as the
        store answers it (while Redis runs the next chunks); a remote one gets the whole batch in one call."""
        for txn in txns:
            validate(txn)
        reasons = self.reasons if reasons is None else reasons
        chunks = self.store.record_and_read_chunks(txns, self._features)
        if self.model.remote:
            parts = [rows for _, rows in chunks]
            velocity = np.concatenate(parts) if parts else np.empty((0, len(self._features.velocity)))
            return self.model.assess_batch(feature_batch(txns, velocity, self._features), reasons)
        out: list[Assessment] = []
        for start, velocity in chunks:
            part = txns[start:start + len(velocity)]
            out += self.model.assess_batch(feature_batch(part, velocity, self._features), reasons)
        return out
