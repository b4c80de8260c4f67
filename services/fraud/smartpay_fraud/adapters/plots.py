"""ROC and precision-recall curve PNGs (matplotlib, headless, small files)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: E402


def curves(holdout: dict[str, tuple[np.ndarray, np.ndarray]], out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"roc": out_dir / "roc.png", "pr": out_dir / "pr.png"}
    fig, ax = plt.subplots(figsize=(5, 4), dpi=80)
    for name, (y, s) in holdout.items():
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=name)
    ax.axvline(0.01, color="grey", linestyle=":", linewidth=1, label="1% FPR")
    ax.set(xscale="log", xlim=(1e-4, 1), xlabel="false positive rate (log)", ylabel="recall (TPR)",
           title="ROC, time-based holdout")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(paths["roc"])
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 4), dpi=80)
    for name, (y, s) in holdout.items():
        precision, recall, _ = precision_recall_curve(y, s)
        ax.plot(recall, precision, label=name)
    ax.set(xlabel="recall", ylabel="precision", ylim=(0, 1.02), title="Precision-recall, time-based holdout")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(paths["pr"])
    plt.close(fig)
    return paths
