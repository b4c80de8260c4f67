"""Offline evaluation use case: read a decision log twice in bounded memory (pass 1 fits the cross-fitted
reward model's statistics, pass 2 asks the candidate and accumulates every estimator), then report estimates,
intervals, diagnostics and warnings. Memory does not grow with the log: chunks of rows, the ridge statistics
(folds x actions x 2^bits^2 floats, capped) and the bootstrap block sums (at most MAX_BLOCKS rows of 8)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import islice

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from smartpay_routing.domain.ope import (Accumulator, BudgetExceeded, ContextHasher, CrossFitRidge,
                                         EstimatorSettings, LogFormatError, LoggedDecision, check_distribution,
                                         diagnose, fold_of, row_terms)
from smartpay_routing.service_layer.candidates import Candidate, Uniform
from smartpay_routing.service_layer.ports import DecisionSource, ProgressSink

Rows = list[tuple[int, LoggedDecision]]


@dataclass(frozen=True)
class OpeSettings:
    estimators: EstimatorSettings = field(default_factory=EstimatorSettings)
    folds: int = 5
    q_bits: int = 8
    l2: float | None = None  # None: chosen per fold by nested cross-validation
    q_memory_mb: int = 256
    chunk_rows: int = 4096

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(out.pop("estimators"))
        out.pop("chunk_rows")
        return out


class ActionIndex:
    """Action name -> column of the reward model, for every action seen in any action set."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._sets: dict[tuple[str, ...], np.ndarray] = {}

    def of(self, actions: tuple[str, ...]) -> np.ndarray:
        found = self._sets.get(actions)
        if found is None:
            found = np.array([self.ids.setdefault(a, len(self.ids)) for a in actions], dtype=np.int64)
            if len(self._sets) < 100_000:
                self._sets[actions] = found
        return found


def _chunks(rows: Iterator[tuple[int, LoggedDecision]], size: int) -> Iterator[Rows]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _design(source: str, hasher: ContextHasher, chunk: Rows) -> sparse.csr_matrix:
    indptr, columns, values = [0], [], []
    for line, record in chunk:
        try:
            c, v = hasher.encode(record.context)
        except ValueError as e:
            raise LogFormatError(f"{source} line {line}: {e}") from e
        columns += c
        values += v
        indptr.append(len(columns))
    phi = sparse.csr_matrix((values, columns, indptr), shape=(len(chunk), hasher.dim))
    phi.sum_duplicates()
    return phi


def _ask(source: str, candidate: Candidate, line: int, record: LoggedDecision) -> Sequence[float]:
    try:
        found = candidate.probabilities(line, record)
        return found if candidate.checked else check_distribution(found, record.actions)
    except LogFormatError:
        raise
    except ValueError as e:
        raise LogFormatError(f"{source} line {line}: {e}") from e


def _fit(source: DecisionSource, hasher: ContextHasher, actions: ActionIndex, settings: OpeSettings,
         advance: Callable[[int], None] | None):
    ridge = CrossFitRidge(hasher.dim, settings.folds, settings.l2, settings.estimators.seed,
                          settings.q_memory_mb << 20)
    n = 0
    for chunk in _chunks(source.read(advance), settings.chunk_rows):
        rows = np.array([line for line, _ in chunk], dtype=np.int64)
        logged = np.array([actions.of(r.actions)[r.index] for _, r in chunk], dtype=np.int64)
        try:
            ridge.admit(rows, logged)
        except BudgetExceeded as e:
            raise LogFormatError(f"{source.name} line {rows[e.position]}: {e}") from e
        ridge.add(rows, _design(source.name, hasher, chunk), logged, np.array([r.reward for _, r in chunk]))
        n += len(chunk)
    if n == 0:
        raise LogFormatError(f"{source.name} holds no decisions")
    return ridge, n


def evaluate(source: DecisionSource, candidate: Candidate, settings: OpeSettings = OpeSettings(),
             progress: ProgressSink | None = None) -> dict:
    # The matrices are small (2^bits square): one BLAS thread is faster, and on a busy 2-core machine a
    # threaded OpenBLAS made a 256 x 256 solve 100x slower (142 ms against 1.5 ms).
    with threadpool_limits(limits=1, user_api="blas"):
        return _evaluate(source, candidate, settings, progress)


def _evaluate(source: DecisionSource, candidate: Candidate, settings: OpeSettings,
              progress: ProgressSink | None) -> dict:
    hasher, actions = ContextHasher(settings.q_bits), ActionIndex()
    total = source.total_bytes
    ridge, n = _fit(source, hasher, actions, settings,
                    progress.task("pass 1/2: reward model", total) if progress else None)
    fitted = progress.task("reward model: folds fitted", settings.folds) if progress else None
    model = ridge.fit(len(actions.ids), fitted)
    acc = Accumulator(n, settings.estimators)
    candidate.start()
    seen = 0
    for chunk in _chunks(source.read(progress.task("pass 2/2: estimators", total) if progress else None),
                         settings.chunk_rows):
        seen += len(chunk)
        if seen > n:
            raise LogFormatError(f"{source.name} changed while it was read (more decisions on the second pass)")
        rows = np.array([line for line, _ in chunk], dtype=np.int64)
        q = model.predict(rows, _design(source.name, hasher, chunk))
        w, r, p, q_logged, dm = (np.empty(len(chunk)) for _ in range(5))
        for i, (line, record) in enumerate(chunk):
            pi = np.asarray(_ask(source.name, candidate, line, record))
            q_row = q[i, actions.of(record.actions)]
            j = record.index
            w[i], r[i], p[i] = pi[j] / record.propensity, record.reward, record.propensity
            q_logged[i], dm[i] = q_row[j], float(pi @ q_row)
        base = model.base[fold_of(rows, settings.folds, settings.estimators.seed)]
        acc.add(row_terms(w, r, q_logged, dm, base, settings.estimators), p)
    candidate.finish()
    if seen != n:
        raise LogFormatError(f"{source.name} changed while it was read ({n} then {seen} decisions)")
    logged, estimates = acc.estimates()
    found, warnings = diagnose(acc, settings.folds)
    found["q_model"]["penalties"] = list(model.penalties)
    return {"n": n, "actions": len(actions.ids), "settings": settings.to_dict(), "logged": logged.to_dict(),
            "estimates": [e.to_dict() for e in estimates], "diagnostics": found, "warnings": warnings}


class RecordList:
    """An in-memory DecisionSource (tests, the benchmark): row numbers 1..n."""

    def __init__(self, records: Iterable[LoggedDecision], name: str = "records"):
        self.records = list(records)
        self.name = name
        self.total_bytes = None

    def read(self, on_bytes=None) -> Iterator[tuple[int, LoggedDecision]]:
        return iter(enumerate(self.records, 1))


__all__ = ["ActionIndex", "OpeSettings", "RecordList", "Uniform", "evaluate"]
