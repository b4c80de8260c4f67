"""Domain errors: each says what was wrong in words a merchant or an operator can act on."""

from __future__ import annotations

from collections.abc import Mapping


class RoutingError(Exception):
    pass


class UnsupportedPayment(RoutingError):
    """No gateway in the catalog supports a field's value at all (currency, method, country)."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


class NoEligibleGateway(RoutingError):
    """The combination (method x currency x region x merchant rules x exclusions) leaves no gateway."""

    def __init__(self, reasons: Mapping[str, str]):
        self.reasons = dict(reasons)
        detail = "; ".join(f"{g}: {r}" for g, r in sorted(self.reasons.items()))
        super().__init__(f"no eligible gateway ({detail})")


class CheckpointError(RoutingError):
    """A policy checkpoint could not be written or read."""
