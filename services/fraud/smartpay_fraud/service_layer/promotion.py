"""Operator use cases on the registry: list versions with their metrics, promote one (guarded), roll back.
CLI only (AWS credentials of an operator): no HTTP route can move what production serves."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import UTC, datetime

from smartpay_fraud.adapters.registry import LATEST, ModelRegistry
from smartpay_fraud.domain.errors import FraudError
from smartpay_fraud.domain.promotion import PromotionGuard, refusals, unservable


class PromotionRefused(FraudError):
    def __init__(self, version: str, reasons: list[str], forceable: bool):
        hint = " (use --force to promote anyway)" if forceable else ""
        super().__init__(f"promotion of {version} refused: " + "; ".join(reasons) + hint)
        self.reasons = reasons


@dataclass(frozen=True)
class ModelRow:
    version: str
    metadata: dict
    current: bool
    latest: bool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _operator() -> str:
    return os.environ.get("SMARTPAY_OPERATOR") or getpass.getuser()


def models(registry: ModelRegistry) -> list[ModelRow]:
    pointer, _ = registry.pointer()
    try:
        latest = registry.resolve(LATEST)
    except FraudError:
        latest = None
    return [ModelRow(v, registry.describe(v), v == pointer.version, v == latest) for v in registry.versions()]


def promote(registry: ModelRegistry, version: str, guard: PromotionGuard, *, force: bool = False,
            reason: str = "") -> dict:
    """Point `current` at `version` after checking it: metrics against the guard (overridable with force),
    servability and artifact checksums (never overridable: the service would refuse it)."""
    version = registry.resolve(version) if version == LATEST else version
    candidate = registry.describe(version)
    if (why := unservable(candidate)) is not None:
        raise PromotionRefused(version, [why], forceable=False)
    registry.fetch(version)  # downloads and verifies every artifact: a broken upload is not promoted
    pointer, etag = registry.pointer()
    current = registry.describe(pointer.version) if pointer.version else None
    problems = refusals(candidate, current, guard)
    if problems and not force:
        raise PromotionRefused(version, problems, forceable=True)
    new = pointer.promote(version, _now(), _operator(), forced=bool(problems),
                          reason=reason or ("; ".join(problems) if problems else ""))
    registry.write_pointer(new, etag)
    return new.history[-1]


def rollback(registry: ModelRegistry, reason: str = "") -> dict:
    """Point `current` back at the version promoted before the current one."""
    pointer, etag = registry.pointer()
    try:
        new = pointer.rollback(_now(), _operator(), reason)
    except ValueError as e:
        raise PromotionRefused(pointer.version or "-", [str(e)], forceable=False) from e
    registry.fetch(new.version)
    registry.write_pointer(new, etag)
    return new.history[-1]
