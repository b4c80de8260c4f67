"""What the planner's unit tests share (a module of the package, not of the test directory: pytest runs with
--import-mode=importlib, so a test module cannot import a plain helper module beside it): one fixed NOW, one
deterministic planner built once (it loads the English word list), a question planned in UTC, and an aggregate
plan's fields as they were set."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from smartpay_chat.domain.plan import AggregatePlan, Plan

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


@cache
def planner():
    """The deterministic planner, built on first use and kept (the word list is loaded once per test run)."""
    from smartpay_chat.service_layer.planner import DeterministicPlanner

    return DeterministicPlanner()


def plan(question: str, previous: AggregatePlan | None = None) -> Plan:
    return planner().plan(question, previous, NOW, "UTC")


def fields(question: str, previous: AggregatePlan | None = None) -> dict:
    """The fields an aggregate plan sets (its defaults left out), as JSON; fails with the refusal's reason."""
    found = plan(question, previous)
    assert found.kind == "aggregate", getattr(found, "reason", found)
    return found.model_dump(exclude_defaults=True, mode="json")
