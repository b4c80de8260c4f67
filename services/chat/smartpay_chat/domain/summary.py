"""The one scoped aggregate the index answers today (count and gross amount per group, per currency).
Issue #7's query plan executor replaces it with the full metric/filter/group-by plan."""

from __future__ import annotations

from dataclasses import dataclass, field

GROUPABLE = ("status", "gateway", "currency", "method", "country")


@dataclass(frozen=True)
class Summary:
    """Count and sum of amounts for one merchant, grouped. Currency is always a group: amounts in
    different currencies are never added. Payments without a value for a group field are left out."""

    group_by: tuple[str, ...] = ("status",)
    statuses: tuple[str, ...] = ()  # filter; empty = every status
    gateways: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.group_by) - set(GROUPABLE)
        if unknown:
            raise ValueError(f"cannot group by {sorted(unknown)}; groupable: {GROUPABLE}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.group_by, "currency")))


@dataclass(frozen=True)
class SummaryRow:
    group: dict[str, str] = field(hash=False)
    count: int
    amount_minor: int
