"""DM, IPS, SNIPS, DR, DR-OS and switch-DR, accumulated chunk by chunk in bounded memory.

Per row, with w = pi(a|x) / p the importance weight of the logged action a, q the cross-fitted reward model
and dm = sum_b pi(b|x) q(x, b):
  dm        = dm
  ips       = w~ r                         w~ = min(w, clip) when clipping is on, else w
  snips     = sum(w~ r) / sum(w~)
  dr        = dm + w~ (r - q(x, a))
  dr_os     = dm + w_s (r - q(x, a))       w_s = lambda w / (w^2 + lambda)   (shrinkage, Su et al. 2020)
  switch_dr = dm + 1[w <= tau] w (r - q(x, a))                              (obp's SwitchDoublyRobust)
Analytic 95% intervals are normal (SNIPS: delta method). Bootstrap intervals are percentile intervals of a
seeded Poisson bootstrap over blocks of consecutive rows (one row a block up to MAX_BLOCKS rows)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))
MAX_BLOCKS = 20_000
# columns of the per-row terms
LOGGED, DM, IPS, WEIGHT, DR, DR_OS, SWITCH_DR, RAW_WEIGHT, Q_SQ_ERR, BASE_SQ_ERR = range(10)
MEANS = {"logged_policy_mean": LOGGED, "dm": DM, "ips": IPS, "dr": DR, "dr_os": DR_OS, "switch_dr": SWITCH_DR}
ORDER = ("dm", "ips", "snips", "dr", "dr_os", "switch_dr")


@dataclass(frozen=True)
class EstimatorSettings:
    clip: float | None = None  # cap on w for IPS, SNIPS and DR
    shrinkage: float = 1e4  # DR-OS lambda
    switch_tau: float = 100.0  # switch-DR: DR's correction only where w <= tau
    bootstrap: int = 1000  # bootstrap replicates; 0: analytic intervals only
    seed: int = 0

    def __post_init__(self) -> None:
        if self.clip is not None and not self.clip > 0:
            raise ValueError(f"clip must be > 0, got {self.clip}")
        if not self.shrinkage > 0:
            raise ValueError(f"the DR-OS shrinkage lambda must be > 0, got {self.shrinkage}")
        if not self.switch_tau > 0:
            raise ValueError(f"the switch-DR threshold tau must be > 0, got {self.switch_tau}")
        if self.bootstrap < 0 or 0 < self.bootstrap < 100:
            raise ValueError(f"bootstrap replicates must be 0 (off) or >= 100, got {self.bootstrap}")


def row_terms(w: np.ndarray, r: np.ndarray, q_logged: np.ndarray, dm: np.ndarray, base: np.ndarray,
              settings: EstimatorSettings) -> np.ndarray:
    """The per-row terms every estimator and diagnostic is a mean (or ratio of means) of: (rows, 10)."""
    wc = np.minimum(w, settings.clip) if settings.clip is not None else w
    lam = settings.shrinkage
    with np.errstate(over="ignore"):  # w^2 beyond float64 (a propensity near 1e-155): w_s -> 0, its limit
        shrunk = lam * w / (w * w + lam)
    switched = np.where(w <= settings.switch_tau, w, 0.0)
    resid = r - q_logged
    return np.column_stack([r, dm, wc * r, wc, dm + wc * resid, dm + shrunk * resid, dm + switched * resid,
                            w, resid * resid, (r - base) ** 2])


@dataclass(frozen=True)
class Estimate:
    estimator: str
    value: float | None
    ci95: tuple[float, float] | None
    bootstrap_ci95: tuple[float, float] | None
    n: int

    def to_dict(self) -> dict:
        def finite(pair):
            return [float(x) for x in pair] if pair is not None and all(map(math.isfinite, pair)) else None
        value = self.value if self.value is not None and math.isfinite(self.value) else None
        return {"estimator": self.estimator, "value": value, "ci95": finite(self.ci95),
                "bootstrap_ci95": finite(self.bootstrap_ci95), "n": self.n}


class Accumulator:
    """Streaming moments (Chan's merge of means and centred co-moments) and bootstrap block sums."""

    def __init__(self, expected_rows: int, settings: EstimatorSettings):
        self.settings = settings
        self.n = 0
        self.mean = np.zeros(10)
        self.comoment = np.zeros((10, 10))
        self.max_weight = 0.0
        self.min_propensity = 1.0
        self.clipped = 0
        self.switched_off = 0
        self.block = max(1, math.ceil(expected_rows / MAX_BLOCKS))
        self.blocks = np.zeros((math.ceil(max(expected_rows, 1) / self.block), 1 + SWITCH_DR + 1))

    def add(self, terms: np.ndarray, propensity: np.ndarray) -> None:
        m = len(terms)
        if m == 0:
            return
        mean = terms.mean(axis=0)
        centred = terms - mean
        delta = mean - self.mean
        total = self.n + m
        # a weight whose square overflows float64 leaves its columns' moments inf/NaN: reported as null
        with np.errstate(over="ignore", invalid="ignore"):
            self.comoment += centred.T @ centred + np.outer(delta, delta) * (self.n * m / total)
        self.mean += delta * (m / total)
        w = terms[:, RAW_WEIGHT]
        self.max_weight = max(self.max_weight, float(w.max()))
        self.min_propensity = min(self.min_propensity, float(propensity.min()))
        if self.settings.clip is not None:
            self.clipped += int((w > self.settings.clip).sum())
        self.switched_off += int((w > self.settings.switch_tau).sum())
        block = (self.n + np.arange(m)) // self.block
        if block[-1] >= len(self.blocks):
            raise ValueError(f"more rows than the {len(self.blocks) * self.block} announced")
        np.add.at(self.blocks, block, np.column_stack([np.ones(m), terms[:, :SWITCH_DR + 1]]))
        self.n = total

    def _variance(self, column: int) -> float:
        return self.comoment[column, column] / (self.n - 1) if self.n > 1 else 0.0

    def _normal(self, name: str, value: float, variance: float, boot) -> Estimate:
        half = Z95 * math.sqrt(max(variance, 0.0) / self.n) if self.n > 1 else 0.0
        return Estimate(name, value, (value - half, value + half), boot, self.n)

    def _bootstrap(self) -> dict[str, np.ndarray] | None:
        if not self.settings.bootstrap or self.n < 2:
            return None
        rng = np.random.default_rng(self.settings.seed)
        used = self.blocks[: math.ceil(self.n / self.block)]
        sums = []
        for start in range(0, self.settings.bootstrap, 100):
            size = min(100, self.settings.bootstrap - start)
            sums.append(rng.poisson(1.0, size=(size, len(used))).astype(float) @ used)
        s = np.vstack(sums)
        count = np.where(s[:, 0] > 0, s[:, 0], np.nan)
        out = {name: s[:, 1 + col] / count for name, col in MEANS.items()}
        weight = np.where(s[:, 1 + WEIGHT] > 0, s[:, 1 + WEIGHT], np.nan)
        out["snips"] = s[:, 1 + IPS] / weight
        return out

    def estimates(self) -> tuple[Estimate, list[Estimate]]:
        """The logged policy's own mean, then the candidate's estimates in ORDER."""
        boot = self._bootstrap()

        def interval(name: str):
            if boot is None:
                return None
            values = boot[name][np.isfinite(boot[name])]
            return tuple(np.percentile(values, [2.5, 97.5])) if len(values) else None

        found = {name: self._normal(name, float(self.mean[col]), self._variance(col), interval(name))
                 for name, col in MEANS.items()}
        found["snips"] = self._snips(interval("snips"))
        return found.pop("logged_policy_mean"), [found[name] for name in ORDER]

    def _snips(self, boot) -> Estimate:
        mean_w = self.mean[WEIGHT]
        if mean_w <= 0:
            return Estimate("snips", None, None, None, self.n)
        value = float(self.mean[IPS] / mean_w)
        c = self.comoment
        # sum of (w r - V w)^2 over rows; its mean is 0 by the definition of V, so the centred moments give it
        spread = c[IPS, IPS] - 2 * value * c[IPS, WEIGHT] + value * value * c[WEIGHT, WEIGHT]
        with np.errstate(over="ignore", invalid="ignore"):
            variance = spread / mean_w**2 / (self.n - 1) if self.n > 1 else 0.0
        return self._normal("snips", value, variance, boot)
