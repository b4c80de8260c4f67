"""What a parse means once the words are read (pure, on `grammar.Parsed`): whether it follows up the last plan,
which metric it asks for (share words -> a rate, a bare count -> the payment count), and what a relative phrase
("the month before that", "how much money was that?") takes from the last plan. Each returns a refusal reason or
None."""

from __future__ import annotations

from datetime import date

from smartpay_chat.domain.plan import MONEY_METRICS, RATE_NUMERATORS, AggregatePlan
from smartpay_chat.domain.when import step_back

FILTER_FIELDS = ("statuses", "gateways", "currencies", "methods", "countries", "fraud_decisions", "fell_back")
APPROVED_STATUSES = ("captured", "refunded", "partially_refunded")

_RATE_OF = (("refunded_any", "refund_rate"), ("fraud", "fraud_decline_rate"), ("declined", "decline_rate"),
            ("approved", "approval_rate"))


def rate_of(parsed) -> str | None:
    """"What share of (approved) payments were refunded": the rate whose numerator the statuses (or "fell
    back") name. A status with no rate of its own ("what share failed", "partially refunded") gets none."""
    if parsed.fell_back:
        return "fallback_rate"
    said = set(parsed.status_words)
    for words, rate in _RATE_OF:
        if words in said and said <= {words, "approved"}:
            return rate
    return None


def relative_to(parsed, base: AggregatePlan | None, today: date) -> str | None:
    """"the month before that": a step back from the last window; "how much money was that?" after a count: the
    money of those payments (refunds: the refunded amount). Returns a refusal reason, or None."""
    if parsed.relative:
        stepped = step_back(base.window.model_dump(exclude_none=True), parsed.relative, today) \
            if base and base.window else None
        if stepped is None:
            return f"I can step back a {parsed.relative} only from the last question's {parsed.relative}"
        parsed.window = stepped
    if parsed.money_of_those and base is not None and base.metric == "count" and parsed.metric == "volume":
        said = set(base.filters.statuses)
        if said and said <= {"refunded", "partially_refunded"}:
            parsed.metric = "refund_total"
        elif said - set(APPROVED_STATUSES):
            return "those payments moved no money (they were not approved): ask for their number instead"
    return None


def follows_up(parsed) -> bool:
    """A follow-up: said as one ("and on Solana?", "what was it last month?"), or a question that names no
    figure and no payments ("by country", "only EUR"), or only a figure ("net?")."""
    if parsed.follow_up or parsed.relative:
        return True
    if parsed.metric is None:
        return not parsed.payment_noun
    # a ranking alone follows up too: "... >> the 2 fastest" ranks the last grouping (heldout_x)
    return not (parsed.window or parsed.group_by or parsed.payment_noun or parsed.amounts
                or any(getattr(parsed, name) for name in FILTER_FIELDS))


def rate_of_count(base: AggregatePlan | None) -> str | None:
    """"how many payments fell back this month >> what percentage is that": the rate whose numerator the last
    question counted (its fell-back filter, or its statuses), if it has one."""
    if base is None or base.metric != "count":
        return None
    if base.filters.fell_back:
        return "fallback_rate"
    said = set(base.filters.statuses)
    return next((rate for rate, numerator in RATE_NUMERATORS.items() if said == numerator), None)


def metric(parsed, follows: bool, base: AggregatePlan | None = None) -> str | None:
    """Share words make a rate of the statuses named (in a follow-up with none named, of those the last question
    counted); a ranking or a bare count is a payment count (METRICS.md: "how many payments" counts every status).
    Returns a refusal reason, or None."""
    if parsed.share and parsed.metric in (None, "count"):
        rate = rate_of(parsed) or (rate_of_count(base) if follows and parsed.metric is None else None)
        if rate is None and parsed.metric is None:
            return ("I can give the approval, decline, fraud decline, fallback and refund rates: say which share "
                    "of payments you mean")
        if rate is not None:
            parsed.metric, parsed.statuses, parsed.fell_back = rate, (), None
    if follows and parsed.metric is None:
        return None  # the figure of the last question
    if parsed.metric is None and (parsed.top_n is not None or "reason" in parsed.group_by or parsed.payment_noun
                                  or parsed.statuses or parsed.fell_back or parsed.fraud_decisions):
        parsed.metric = "count"  # METRICS.md: a ranking is by payment count unless volume is asked
    if parsed.metric in MONEY_METRICS and set(parsed.statuses) == set(APPROVED_STATUSES):
        parsed.statuses = ()  # "captured volume" is gross (METRICS.md): money is over approved payments anyway
    if parsed.metric == "count" and parsed.counted and not (
            parsed.payment_noun or parsed.window or parsed.statuses or parsed.group_by or parsed.fell_back
            or parsed.fraud_decisions or parsed.gateways or parsed.methods or parsed.currencies or parsed.countries
            or parsed.amounts or (parsed.follow_up and follows)):
        # "ok so how many exactly" with nothing to follow is a lone "how many", whatever opener or hedge is around it:
        # "ok", "so", "and" make it the last question's count only when there is one (heldout_j)
        return "how many of what? Ask about payments, for example \"how many payments yesterday?\""
    return None
