"""Planners behind one port. The deterministic planner (default, no network) turns the grammar's parse into
a validated plan, merges follow-ups into the session's last plan (METRICS.md), and refuses anything else."""

from __future__ import annotations

import abc
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from smartpay_chat.domain.plan import AggregatePlan, Filters, LookupPlan, Plan, Refusal, Window
from smartpay_chat.domain.question import parse

# Digit-free on purpose: a refusal carries no figures at all.
EXAMPLES = ("how much did we take on Stripe yesterday?", "approval rate by gateway this week",
            "top five decline reasons for EUR card payments last month",
            "why was payment <its pay_ id> declined?", "median latency last week", "and on Solana?")
_OTHER_TENANT = (r"\b(all|every|other|another|each|any|competitor'?s?|their)\s+merchants?\b|\bmerchants?\s*(id|_id)?"
                 r"\s*[=:]?\s*[a-z0-9_-]*\d|\bmerchant_id\b|\bacross (?:all )?(?:tenants|accounts|merchants)\b"
                 r"|\bmerchants?\s+[a-z]*_[a-z0-9_-]+|\btenants?\b|\bwhole platform\b|\beveryone\b")
_INJECTION = (r"\bignore\b.*\b(instructions?|rules|previous|above|filters?)\b|\bsystem prompt\b|\bdisregard\b"
              r"|\byou are now\b|\bdrop table\b|\bselect\s+\*|\bunion\s+select\b|;\s*--|\bjailbreak\b|\bpretend\b")
_PAYMENT_ID = re.compile(r"\bpay_[A-Za-z0-9]{8,40}\b")
_FILTER_FIELDS = ("statuses", "gateways", "currencies", "methods", "countries", "fraud_decisions")


def refusal(reason: str) -> Refusal:
    return Refusal(reason=f"I can't answer that yet: {reason}. I can answer questions like: "
                          + "; ".join(f'"{e}"' for e in EXAMPLES) + ".")


class Planner(abc.ABC):
    name: str

    @abc.abstractmethod
    def plan(self, question: str, previous: AggregatePlan | None, now: datetime, timezone: str) -> Plan:
        """A validated plan, or a Refusal. Never a merchant: the executor adds it."""


class DeterministicPlanner(Planner):
    name = "deterministic"

    def plan(self, question: str, previous: AggregatePlan | None, now: datetime, timezone: str) -> Plan:
        lowered = question.lower()
        if re.search(_OTHER_TENANT, lowered):
            return refusal("I only answer about your own merchant's payments (the one you are signed in as)")
        if re.search(_INJECTION, lowered):
            return refusal("that reads like an instruction to change how I work, not a question about payments")
        ids = _PAYMENT_ID.findall(question)
        if len(ids) > 1:
            return refusal("I look up one payment at a time")
        if ids:
            return LookupPlan(payment_id=ids[0])
        parsed = parse(question, now.astimezone(ZoneInfo(timezone)).date())
        if parsed.leftovers:
            return refusal("I don't understand " + ", ".join(f'"{w}"' for w in dict.fromkeys(parsed.leftovers)))
        if parsed.metric is None and (parsed.top_n is not None or "reason" in parsed.group_by):
            parsed.metric = "count"  # METRICS.md: a ranking is by payment count unless volume is asked
        base = previous if (parsed.follow_up or parsed.metric is None) and previous is not None else None
        if parsed.metric is None and base is None:
            if parsed.follow_up:
                return refusal("there is no earlier question in this session to follow up on")
            return refusal("I could not tell which figure you want (a count, volume, a rate, latency...)")
        try:
            return _merge(parsed, base, timezone)
        except ValidationError as e:
            return refusal("the question mixes things I cannot combine (" +
                           "; ".join(err["msg"] for err in e.errors()) + ")")


def _merge(parsed, base: AggregatePlan | None, timezone: str) -> AggregatePlan:
    """A follow-up inherits metric, filters, grouping and window; a new value for a filtered dimension replaces
    it, a new dimension adds a filter, a new time replaces the window (METRICS.md)."""
    filters = base.filters.model_dump() if base else Filters().model_dump()
    for name in _FILTER_FIELDS:
        if getattr(parsed, name):
            filters[name] = getattr(parsed, name)
    if parsed.amounts:
        for key in ("amount_gte", "amount_gt", "amount_lte", "amount_lt"):
            filters[key] = parsed.amounts.get(key)
    metric = parsed.metric or base.metric
    window = Window(**parsed.window) if parsed.window else (base.window if base else None)
    group_by = parsed.group_by or (base.group_by if base else ())
    top_n = parsed.top_n if parsed.top_n is not None else (base.top_n if base and not parsed.group_by else None)
    order = parsed.order or (base.order if base else "desc")
    percentiles = parsed.percentiles or (base.percentiles if base and base.metric == "latency" else (50.0, 95.0, 99.0))
    if metric == "latency" and not parsed.percentiles and not base:
        percentiles = (50.0, 95.0, 99.0)
    return AggregatePlan(metric=metric, filters=Filters(**filters), window=window,
                         timezone=parsed.timezone or (base.timezone if base else timezone), group_by=group_by,
                         order=order, top_n=top_n, percentiles=percentiles)


def build_planner(name: str) -> Planner:
    """The configured planner. One not in this build fails loudly at start, never silently falls back."""
    if name == "deterministic":
        return DeterministicPlanner()
    raise ValueError(f"CHAT_PLANNER={name} is not available in this build (only 'deterministic'); "
                     "LLM planners through LangChain are not implemented yet (issue #7)")
