"""The four holdout metrics of the ablation, measured the same way for every variant."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve


def recall_at_fpr(y: np.ndarray, scores: np.ndarray, fpr_budget: float = 0.01) -> float:
    fpr, tpr, _ = roc_curve(y, scores)
    return float(tpr[fpr <= fpr_budget].max())


def precision_top_k_per_day(y: np.ndarray, scores: np.ndarray, days: np.ndarray, k: int = 100) -> float:
    """Mean over days of the fraud share among that day's k highest scores (an analyst's daily queue)."""
    frame = pd.DataFrame({"y": y, "s": scores, "d": days})
    per_day = frame.sort_values("s", ascending=False).groupby("d", sort=True).head(k).groupby("d")["y"].mean()
    return float(per_day.mean())


def evaluate(y, scores, timestamps_ms) -> dict[str, float]:
    y, scores = np.asarray(y), np.asarray(scores)
    days = np.asarray(timestamps_ms, dtype=np.int64) // 86_400_000
    return {
        "roc_auc": round(float(roc_auc_score(y, scores)), 4),
        "pr_auc": round(float(average_precision_score(y, scores)), 4),
        "recall_at_1pct_fpr": round(recall_at_fpr(y, scores), 4),
        "precision_top100_per_day": round(precision_top_k_per_day(y, scores, days), 4),
        "rows": int(len(y)),
        "frauds": int(y.sum()),
        "days": int(len(np.unique(days))),
    }


def threshold_at_fpr(y: np.ndarray, scores: np.ndarray, fpr: float) -> float:
    """The score above which `fpr` of the legitimate payments fall."""
    legit = np.asarray(scores)[np.asarray(y) == 0]
    return float(np.quantile(legit, 1 - fpr)) if len(legit) else 1.0
