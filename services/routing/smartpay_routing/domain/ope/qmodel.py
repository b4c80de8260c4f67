"""The reward model q(x, a) of DM and the DR family: a ridge regression per action on the hashed context
(every context key crossed with the action), cross-fitted on K folds. A row's fold is a seeded hash of its row
number; the model that predicts a row is fitted on the other K-1 folds only, so no row is ever predicted by a
model that saw it. Fitting streams: only X'X and X'y per (fold, action) are kept, never the rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def fold_of(rows: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Seeded splitmix64 hash of each row number, modulo the number of folds."""
    with np.errstate(over="ignore"):
        z = np.asarray(rows, dtype=np.uint64) + np.uint64(seed) * _GOLDEN + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(folds)).astype(np.intp)


class BudgetExceeded(ValueError):
    def __init__(self, position: int, message: str):
        super().__init__(message)
        self.position = position


def statistics_bytes(groups: int, dim: int) -> int:
    return groups * (dim * dim + dim) * 8


class CrossFitRidge:
    """Accumulates per (fold, action) sufficient statistics; `fit` solves one ridge per fold and action."""

    def __init__(self, dim: int, folds: int = 5, l2: float = 1.0, seed: int = 0, max_bytes: int = 256 << 20):
        if folds < 2:
            raise ValueError(f"cross-fitting needs at least 2 folds, got {folds}")
        if not l2 > 0:
            raise ValueError(f"the ridge penalty must be > 0, got {l2}")
        self.dim, self.folds, self.l2, self.seed, self.max_bytes = dim, folds, l2, seed, max_bytes
        self._xtx: dict[tuple[int, int], np.ndarray] = {}
        self._xty: dict[tuple[int, int], np.ndarray] = {}
        self._groups: set[tuple[int, int]] = set()
        self.rows = np.zeros(folds, dtype=np.int64)
        self._sum_y = np.zeros(folds)

    def admit(self, rows: np.ndarray, action_ids: np.ndarray) -> None:
        """Check that these rows' (fold, action) statistics fit in the memory budget, before reading on.
        Raises BudgetExceeded with the position of the first row that does not fit."""
        keys = fold_of(rows, self.folds, self.seed).astype(np.int64) * (1 << 32) + action_ids
        unique, first = np.unique(keys, return_index=True)
        for key, position in sorted(zip(unique.tolist(), first.tolist()), key=lambda kp: kp[1]):
            group = (key >> 32, key & 0xFFFFFFFF)
            if group in self._groups:
                continue
            if statistics_bytes(len(self._groups) + 1, self.dim) > self.max_bytes:
                raise BudgetExceeded(position, (
                    f"the reward model's statistics would exceed {self.max_bytes >> 20} MB "
                    f"({len(self._groups) + 1} fold x action blocks of {self.dim} hashed features): "
                    f"lower --q-bits or --folds, or raise --q-memory-mb"))
            self._groups.add(group)

    def add(self, rows: np.ndarray, phi: sparse.csr_matrix, action_ids: np.ndarray, rewards: np.ndarray) -> None:
        folds = fold_of(rows, self.folds, self.seed)
        np.add.at(self.rows, folds, 1)
        np.add.at(self._sum_y, folds, rewards)
        keys = folds.astype(np.int64) * (1 << 32) + action_ids
        for key in np.unique(keys):
            mask = keys == key
            group = (int(key >> 32), int(key & 0xFFFFFFFF))
            x, y = phi[mask], rewards[mask]
            if group not in self._xtx:
                self._xtx[group] = np.zeros((self.dim, self.dim))
                self._xty[group] = np.zeros(self.dim)
            self._xtx[group] += (x.T @ x).toarray()
            self._xty[group] += x.T @ y

    def fit(self, n_actions: int) -> FittedRidge:
        others = [[j for j in range(self.folds) if j != k] for k in range(self.folds)]
        counts = np.array([self.rows[o].sum() for o in others])
        base = np.array([self._sum_y[o].sum() / c if c else 0.0 for o, c in zip(others, counts)])
        coef = np.zeros((self.folds, n_actions, self.dim))
        ridge = self.l2 * np.eye(self.dim)
        for action in range(n_actions):
            for k in range(self.folds):
                # summed over the other folds, not total minus own: not even a rounding residue of fold k
                others = [j for j in range(self.folds) if j != k and (j, action) in self._xtx]
                if not others:  # no row of this action outside fold k: predict the other folds' mean
                    continue
                xtx = sum(self._xtx[(j, action)] for j in others)
                xty = sum(self._xty[(j, action)] for j in others)
                # centre y on the other folds' mean: the ridge shrinks a sparse action toward it, not toward 0
                coef[k, action] = linalg.solve(xtx + ridge, xty - base[k] * xtx[:, 0], assume_a="pos")
        return FittedRidge(coef, base, self.folds, self.seed)


@dataclass(frozen=True)
class FittedRidge:
    coef: np.ndarray  # (folds, actions, dim)
    base: np.ndarray  # (folds,) mean reward of the other folds
    folds: int
    seed: int

    def predict(self, rows: np.ndarray, phi: sparse.csr_matrix) -> np.ndarray:
        """q of every known action for each row, from the model fitted without the row's fold: (rows, actions)."""
        folds = fold_of(rows, self.folds, self.seed)
        out = np.empty((len(rows), self.coef.shape[1]))
        for k in np.unique(folds):
            mask = folds == k
            out[mask] = self.base[k] + np.asarray(phi[mask] @ self.coef[k].T)
        return out
