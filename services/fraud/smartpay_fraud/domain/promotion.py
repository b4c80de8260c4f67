"""Model promotion policy (pure): which registered version may become the one the service serves, and
the pointer's history (a stack for rollback plus an append-only log)."""

from __future__ import annotations

from dataclasses import dataclass, field

from smartpay_fraud.domain.features import FEATURE_SCHEME

METRICS = ("roc_auc", "pr_auc", "recall_at_1pct_fpr", "precision_top100_per_day")
HISTORY_LIMIT = 100  # log entries kept in the pointer object


@dataclass(frozen=True)
class PromotionGuard:
    """Holdout metrics a version needs to be promoted (without --force). Metrics of different training
    runs come from different holdouts: `max_pr_auc_drop` compares them as an indication, not a proof."""

    min_roc_auc: float = 0.80
    min_pr_auc: float = 0.30
    min_recall_at_1pct_fpr: float = 0.30
    max_pr_auc_drop: float = 0.05  # below the current version's PR-AUC by more than this: refused


def refusals(candidate: dict, current: dict | None, guard: PromotionGuard) -> list[str]:
    """Why `candidate` (a version's metadata) must not be promoted; empty = it may be."""
    out = []
    metrics = candidate.get("metrics") or {}
    missing = [m for m in METRICS if not isinstance(metrics.get(m), (int, float))]
    if missing:
        out.append("metrics missing: " + ", ".join(missing))
    for name, floor in (("roc_auc", guard.min_roc_auc), ("pr_auc", guard.min_pr_auc),
                        ("recall_at_1pct_fpr", guard.min_recall_at_1pct_fpr)):
        value = metrics.get(name)
        if isinstance(value, (int, float)) and value < floor:
            out.append(f"{name} {value:.4f} < guard {floor:.4f}")
    # A current version of another feature scheme is no baseline: the service cannot load it any more (e.g. every
    # model trained before tenant scoping), and its holdout measured other features.
    if current is not None and current.get("version") != candidate.get("version") \
            and current.get("feature_scheme") == candidate.get("feature_scheme"):
        mine, theirs = metrics.get("pr_auc"), (current.get("metrics") or {}).get("pr_auc")
        comparable = isinstance(mine, (int, float)) and isinstance(theirs, (int, float))
        if comparable and mine < theirs - guard.max_pr_auc_drop:
            out.append(f"pr_auc {mine:.4f} is more than {guard.max_pr_auc_drop} below the current version's "
                       f"{theirs:.4f} ({current.get('version')})")
    return out


def unservable(candidate: dict) -> str | None:
    """A reason no --force can override: the service would refuse to load it."""
    if candidate.get("feature_scheme") != FEATURE_SCHEME:
        return (f"trained with feature scheme {candidate.get('feature_scheme') or 'sliding (unversioned)'}, "
                f"the service computes {FEATURE_SCHEME}")
    return None


@dataclass
class Pointer:
    """The `current` pointer: `stack` holds the promoted versions (top = served); `history` logs every
    promote and rollback, newest last."""

    stack: list[str] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)

    @property
    def version(self) -> str | None:
        return self.stack[-1] if self.stack else None

    def promote(self, version: str, at: str, by: str, forced: bool, reason: str = "") -> Pointer:
        stack = self.stack if self.version == version else [*self.stack, version][-HISTORY_LIMIT:]
        return Pointer(stack, self._log({"action": "promote", "version": version, "previous": self.version,
                                         "at": at, "by": by, "forced": forced, "reason": reason}))

    def rollback(self, at: str, by: str, reason: str = "") -> Pointer:
        if len(self.stack) < 2:
            raise ValueError("nothing to roll back to: no earlier promoted version")
        stack = self.stack[:-1]
        return Pointer(stack, self._log({"action": "rollback", "version": stack[-1], "previous": self.version,
                                         "at": at, "by": by, "forced": False, "reason": reason}))

    def _log(self, entry: dict) -> list[dict]:
        return [*self.history, entry][-HISTORY_LIMIT:]

    def to_json(self) -> dict:
        return {"version": self.version, "stack": self.stack, "history": self.history}

    @classmethod
    def from_json(cls, raw: dict) -> Pointer:
        stack = list(raw.get("stack") or ([raw["version"]] if raw.get("version") else []))
        return cls(stack, list(raw.get("history") or []))
