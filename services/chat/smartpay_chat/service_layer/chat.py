"""Answer one question: plan it (with the session's last plan), execute it for the caller's merchant, template
the answer from the rows, keep the plan for follow-ups. Refusals reach no engine and carry no figures.

No card number is echoed or kept, even without the API's card guard in front: a session id holding one is
refused (and not used, stored or returned: the answer names a fresh session), a question holding one is
refused by the planners' screen, and the caller's text an answer repeats (a payment id that was not found)
is redacted (smartpay_shared.pan)."""

from __future__ import annotations

import abc
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from smartpay_chat.domain import aggregates, answers, grounding
from smartpay_chat.domain.plan import RATE_METRICS, AggregatePlan, LookupPlan, Refusal, SearchPlan
from smartpay_chat.domain.windows import Bounds, resolve
from smartpay_chat.service_layer.planner import Planner, refusal
from smartpay_chat.service_layer.ports import PaymentIndex
from smartpay_shared import ids, pan


class Turn(NamedTuple):
    """A session's last stored turn as one read finds it: its number (0: the session has none) and its plan (None
    when there is none, or it expired)."""
    number: int
    plan: AggregatePlan | None


NO_TURN = Turn(0, None)


class SessionStore(abc.ABC):
    """Conversation memory, scoped to (merchant, session id): another merchant's id is an empty session."""

    @abc.abstractmethod
    def last_turn(self, merchant_id: str, session_id: str) -> Turn: ...

    def last_plan(self, merchant_id: str, session_id: str) -> AggregatePlan | None:
        return self.last_turn(merchant_id, session_id).plan

    @abc.abstractmethod
    def append(self, merchant_id: str, session_id: str, question: str, plan: AggregatePlan, *,
               after: int | None = None) -> None:
        """Store the next turn. `after`: the number of the session's last turn as the caller read it (0: the
        session id was made for this question), so the store need not read it again; None: the store reads it."""


@dataclass(frozen=True)
class Chat:
    planner: Planner
    sessions: SessionStore
    clock: Callable[[], datetime]
    timezone: str = "UTC"
    phraser: Any = None  # phrase(question, templated) -> str | None; kept only when grounded
    as_of: datetime | None = None  # the operator's CHAT_AS_OF: now for every answer, and nothing created after it
    # Runs the session's write while the index answers (the API); None: the write after the answer.
    background: Executor | None = None

    def now(self) -> datetime:
        return self.as_of or self.clock()

    def scope(self, bounds: Bounds | None) -> Bounds | None:
        """An all-time question as of a past moment still leaves out what was created after it."""
        return bounds if bounds is not None or self.as_of is None else Bounds(EPOCH, self.as_of)


def _plan_json(plan: Any) -> dict[str, Any]:
    return plan.model_dump(mode="json", exclude_none=True)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SESSION_CARD_REASON = "the session id holds a card number; I did not use it. Continue in the session named here"


def ask(chat: Chat, index: PaymentIndex, merchant_id: str, question: str, session_id: str | None) -> dict[str, Any]:
    if session_id and pan.contains_pan(session_id):
        plan = refusal(SESSION_CARD_REASON)
        return {"session_id": ids.new_id(), "plan": _plan_json(plan), "planner": chat.planner.name,
                "kind": "refusal", "answer": plan.reason, "query": None, "rows": [], "citations": []}
    # A new session: nothing to read back (one round trip less per question); else one read gives the last plan
    # and the number the new turn follows (the write need not read it again).
    last = NO_TURN if not session_id else chat.sessions.last_turn(merchant_id, session_id)
    session_id = session_id or ids.new_id()
    now = chat.now()
    plan = chat.planner.plan(question, last.plan, now, chat.timezone)
    base = {"session_id": session_id, "plan": _plan_json(plan), "planner": chat.planner.name}
    if isinstance(plan, Refusal):
        return {**base, "kind": "refusal", "answer": plan.reason, "query": None, "rows": [], "citations": []}
    if isinstance(plan, LookupPlan):
        doc = index.get(merchant_id, plan.payment_id)
        if doc is not None and chat.as_of is not None and doc.created_at >= chat.as_of:
            doc = None  # it did not exist yet as of that moment
        query = {"engine": index.name, "lookup": {"payment_id": plan.payment_id, "merchant": "from the token"}}
        if doc is None:
            return {**base, "kind": "not_found", "answer": f"No payment {pan.redact(plan.payment_id)} was found "
                    "for your merchant.", "query": query, "rows": [], "citations": []}
        record = {k: v for k, v in doc.to_record().items() if k not in ("search_text",)}
        return {**base, "kind": "lookup", "answer": answers.lookup_text(doc), "query": query,
                "rows": [record], "citations": [doc.payment_id]}
    bounds = chat.scope(resolve(plan.window, plan.timezone, now) if plan.window else None)
    if isinstance(plan, SearchPlan):
        found = index.search(merchant_id, plan, bounds)
        query = {**found.query, "window": bounds.as_dict() if bounds else None}
        return {**base, "kind": "search", "answer": answers.search_text(plan, bounds, found),
                "query": query, "rows": found.hits, "matched": found.matched, "search_mode": found.mode,
                "degraded_reason": found.degraded_reason, "citations": [h["payment_id"] for h in found.hits]}
    result = _execute_and_keep(chat, index, merchant_id, session_id, question, plan, bounds, last.number)
    rows = aggregates.rank(plan, [{**r, "value": aggregates.value_of(plan, r)} for r in result.rows])
    query = {**result.query, "window": bounds.as_dict() if bounds else None}
    templated = answers.aggregate_text(plan, bounds, rows, result.matched)
    text, phrasing = phrase(chat, question, templated, rows, plan)
    return {**base, "kind": "aggregate", "answer": text, "answer_source": phrasing.pop("source"),
            "phrasing": phrasing or None, "query": query, "rows": rows, "matched": result.matched,
            "citations": result.citations}


def _execute_and_keep(chat: Chat, index: PaymentIndex, merchant_id: str, session_id: str, question: str,
                      plan: AggregatePlan, bounds: Bounds | None, after: int) -> Any:
    """The aggregate's rows, and the plan kept as the session's turn number `after + 1`. The turn depends on the
    plan and that number only (both known before the query): with `chat.background` it is written while the index
    answers (the session round trip and the query overlap), and the answer waits for it, so a follow-up, in any
    environment, reads it. If the query fails the turn stays written: the question was asked (a retry writes the
    next turn with the same plan; a follow-up refines it); a new session's id reaches nobody (its TTL removes
    it). Without `background`, the write follows the answer."""
    if chat.background is None:
        result = index.execute(merchant_id, plan, bounds)
        chat.sessions.append(merchant_id, session_id, question, plan, after=after)
        return result
    write = chat.background.submit(chat.sessions.append, merchant_id, session_id, question, plan, after=after)
    try:
        result = index.execute(merchant_id, plan, bounds)
    finally:
        failed = write.exception()  # waited for in every case: no write outlives the invocation
    if failed is not None:
        raise failed
    return result


def phrase(chat: Chat, question: str, templated: str, rows: list[dict[str, Any]],
           plan: AggregatePlan) -> tuple[str, dict[str, Any]]:
    """The LLM's wording when every number in it is one of the computed figures; else the templated answer,
    with the numbers that failed the check."""
    if chat.phraser is None:
        return templated, {"source": "template"}
    text = chat.phraser.phrase(question, templated)
    if not text:
        return templated, {"source": "template", "rejected": "the model gave no text"}
    allowed = grounding.allowed_figures(rows, templated, rates=plan.metric in RATE_METRICS)
    missing = grounding.ungrounded(text, allowed)
    if missing:
        return templated, {"source": "template", "rejected": "numbers not in the results", "ungrounded": missing}
    return text, {"source": "llm", "templated": templated}


class InMemorySessions(SessionStore):
    """For tests and the CLI's one-shot questions."""

    def __init__(self) -> None:
        self.turns: dict[tuple[str, str], list[tuple[str, AggregatePlan]]] = {}

    def last_turn(self, merchant_id: str, session_id: str) -> Turn:
        turns = self.turns.get((merchant_id, session_id))
        return Turn(len(turns), turns[-1][1]) if turns else NO_TURN

    def append(self, merchant_id: str, session_id: str, question: str, plan: AggregatePlan, *,
               after: int | None = None) -> None:
        turns = self.turns.setdefault((merchant_id, session_id), [])
        if after is None or after == len(turns):  # a concurrent turn took this number: the newer one is kept
            turns.append((question, plan))
