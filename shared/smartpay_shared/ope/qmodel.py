"""The reward model q(x, a) of DM and the DR family: a ridge regression per action on the hashed context
(every context key crossed with the action), cross-fitted on K folds. A row's fold is a seeded hash of its row
number; the model that predicts a row is fitted on the other K-1 folds only, so no row is ever predicted by a
model that saw it. The ridge penalties (one for each action's intercept, one for the hashed features) are fixed,
or chosen per fold from INTERCEPT_PENALTIES x PENALTIES by cross-validation inside the other folds (nested: a
row's own outcome plays no part in the choice either). Fitting streams: only X'X, X'y
and y'y per (fold, action) are kept, never the rows; held-out errors come from the same statistics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse

PENALTIES = tuple(10.0**e for e in range(-1, 7))  # feature penalties 0.1 .. 1e6
INTERCEPT_PENALTIES = (0.1, 10.0, 1e3, 1e5)  # each action's intercept (its offset from the mean reward)

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

    def __init__(self, dim: int, folds: int = 5, l2: float | None = None, seed: int = 0,
                 max_bytes: int = 256 << 20):
        if folds < 2:
            raise ValueError(f"cross-fitting needs at least 2 folds, got {folds}")
        if l2 is None and folds < 3:
            raise ValueError("choosing the ridge penalty by nested cross-validation needs at least 3 folds "
                             "(or give the penalty)")
        if l2 is not None and not l2 > 0:
            raise ValueError(f"the ridge penalty must be > 0, got {l2}")
        self.dim, self.folds, self.l2, self.seed, self.max_bytes = dim, folds, l2, seed, max_bytes
        self._xtx: dict[tuple[int, int], np.ndarray] = {}
        self._xty: dict[tuple[int, int], np.ndarray] = {}
        self._yy: dict[tuple[int, int], float] = {}
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
                self._yy[group] = 0.0
            self._xtx[group] += (x.T @ x).toarray()
            self._xty[group] += x.T @ y
            self._yy[group] += float(y @ y)

    def _base(self, train: list[int]) -> float:
        count = self.rows[train].sum()
        return float(self._sum_y[train].sum() / count) if count else 0.0

    def _solve(self, train: list[int], action: int, grid: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean reward of the training folds, and the ridge coefficients for each (intercept penalty, feature
        penalty) pair of `grid`: (len(grid), dim). Blocks are summed over the training folds only (not total
        minus the rest: no rounding residue of a held-out fold); y is centred on the training folds' mean, so
        the action's intercept shrinks toward it."""
        base = self._base(train)
        blocks = [j for j in train if (j, action) in self._xtx]
        if not blocks:
            return base, np.zeros((len(grid), self.dim))
        xtx = sum(self._xtx[(j, action)] for j in blocks)
        xty = sum(self._xty[(j, action)] for j in blocks) - base * xtx[:, 0]
        if len(grid) == 1:
            penalty = np.full(self.dim, grid[0, 1])
            penalty[0] = grid[0, 0]
            return base, linalg.solve(xtx + np.diag(penalty), xty, assume_a="pos")[None, :]
        # one eigendecomposition serves every feature penalty l: (X'X + l I)^-1 = V diag(1 / (e + l)) V';
        # the intercept's own penalty l0 is a rank-one change (l0 - l) e0 e0' (Sherman-Morrison)
        values, vectors = linalg.eigh(xtx)
        feature = np.unique(grid[:, 1])
        inverse = 1.0 / (np.maximum(values, 0.0)[None, :] + feature[:, None])  # (L, dim)
        solved_b = (inverse * (vectors.T @ xty)[None, :]) @ vectors.T  # (L, dim): A^-1 b
        solved_e0 = (inverse * vectors[0][None, :]) @ vectors.T  # (L, dim): A^-1 e0
        at = np.searchsorted(feature, grid[:, 1])
        delta = (grid[:, 0] - grid[:, 1])[:, None]
        scale = delta * solved_b[at, :1] / (1.0 + delta * solved_e0[at, :1])
        return base, solved_b[at] - scale * solved_e0[at]

    def _held_out_error(self, fold: int, action: int, base: float, coef: np.ndarray) -> np.ndarray:
        """Squared error on fold `fold`'s rows of `action` for each row of coef, from the statistics alone."""
        group = (fold, action)
        if group not in self._xtx:
            return np.zeros(len(coef))
        xtx, xty, yy = self._xtx[group], self._xty[group], self._yy[group]
        centred_xty = xty - base * xtx[:, 0]  # X'(y - base)
        constant = yy - 2 * base * xty[0] + base * base * xtx[0, 0]  # |y - base|^2
        return constant - 2 * coef @ centred_xty + np.einsum("ld,de,le->l", coef, xtx, coef)

    def _choose_penalties(self, k: int, n_actions: int) -> tuple[float, float]:
        grid = np.array([(i, f) for i in INTERCEPT_PENALTIES for f in PENALTIES])
        error = np.zeros(len(grid))
        for j in range(self.folds):
            if j == k:
                continue
            train = [f for f in range(self.folds) if f not in (j, k)]
            for action in range(n_actions):
                base, coef = self._solve(train, action, grid)
                error += self._held_out_error(j, action, base, coef)
        best = grid[int(np.argmin(error))]
        return float(best[0]), float(best[1])

    def fit(self, n_actions: int, on_fold: Callable[[int], None] | None = None) -> FittedRidge:
        coef = np.zeros((self.folds, n_actions, self.dim))
        base = np.zeros(self.folds)
        chosen = []
        for k in range(self.folds):
            pair = (self.l2, self.l2) if self.l2 is not None else self._choose_penalties(k, n_actions)
            chosen.append(pair)
            train = [j for j in range(self.folds) if j != k]
            for action in range(n_actions):
                base[k], solved = self._solve(train, action, np.array([pair]))
                coef[k, action] = solved[0]
            if on_fold is not None:
                on_fold(1)
        return FittedRidge(coef, base, self.folds, self.seed, tuple(chosen))


@dataclass(frozen=True)
class FittedRidge:
    coef: np.ndarray  # (folds, actions, dim)
    base: np.ndarray  # (folds,) mean reward of the other folds
    folds: int
    seed: int
    penalties: tuple[tuple[float, float], ...] = ()  # each fold's (intercept, feature) ridge penalties

    def predict(self, rows: np.ndarray, phi: sparse.csr_matrix) -> np.ndarray:
        """q of every known action for each row, from the model fitted without the row's fold: (rows, actions)."""
        folds = fold_of(rows, self.folds, self.seed)
        out = np.empty((len(rows), self.coef.shape[1]))
        for k in np.unique(folds):
            mask = folds == k
            out[mask] = self.base[k] + np.asarray(phi[mask] @ self.coef[k].T)
        return out
