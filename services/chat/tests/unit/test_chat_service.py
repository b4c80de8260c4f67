"""The chat service on the real DuckDB executor (in memory): answers are grounded in the rows, refusals
reach no engine, lookups explain in plain words, a session keeps the last plan."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
from smartpay_chat.service_layer.planner import DeterministicPlanner


@pytest.fixture
def service(chat_documents, chat_now):
    index = DuckDBPaymentIndex(":memory:")
    for doc in chat_documents:
        index.upsert(doc)
    chat = Chat(DeterministicPlanner(), InMemorySessions(), lambda: chat_now)
    yield chat, index
    index.close()


class ExplodingIndex:
    name = "exploding"

    def __getattr__(self, item):
        raise AssertionError(f"a refusal must not reach the engine ({item})")


@pytest.mark.parametrize("question", ["how much did we take yesterday?", "approval rate by gateway",
                                      "top 5 decline reasons", "p95 latency", "net revenue", "refund rate",
                                      "average order value per currency", "how many payments by status"])
def test_every_figure_in_the_text_comes_from_the_rows(service, question):
    chat, index = service
    answer = ask(chat, index, "m_acme", question, None)
    assert answer["kind"] == "aggregate" and answer["rows"]
    figures = set()
    for row in answer["rows"]:
        for key, value in row.items():
            if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                figures |= {str(value), f"{value:.1f}"}
                if key == "value" and answer["plan"]["metric"].endswith("rate"):
                    figures.add(f"{value * 100:.2f}")
    figures.add(str(answer["matched"]))
    results_text = answer["answer"].split(": ", 1)[1]  # after the scope description
    labels_removed = re.sub(r"\bp\d+\b", "", results_text)  # percentile labels, not figures
    for number in re.findall(r"\d+(?:\.\d+)?", labels_removed.replace("%", "")):
        assert number in figures, (number, answer["answer"])


def test_a_refusal_reaches_no_engine(service):
    chat, _ = service
    answer = ask(chat, ExplodingIndex(), "m_acme", "volume of all merchants", None)
    assert (answer["kind"], answer["rows"], answer["citations"], answer["query"]) == ("refusal", [], [], None)


def test_lookup_explains_in_plain_words(service):
    chat, index = service
    answer = ask(chat, index, "m_acme", "what happened to pay_DOCSAAAA01?", None)
    text = answer["answer"]
    assert "was captured via stripe" in text and "attempt 1 on amazon_pay: timeout (gateway_timeout)" in text
    assert "Routing: stripe: best expected approval" in text and "known device (-0.30)" in text
    assert answer["rows"][0]["card_last4"] == "4242" and answer["citations"] == ["pay_DOCSAAAA01"]


def test_a_session_keeps_the_last_plan_per_merchant(service):
    chat, index = service
    ask(chat, index, "m_acme", "how many payments yesterday?", "s-1")
    follow = ask(chat, index, "m_acme", "only USD", "s-1")
    assert follow["plan"]["filters"]["currencies"] == ["USD"] and follow["rows"][0]["value"] == 1
    fresh = ask(chat, index, "m_beta", "only USD", "s-1")
    assert fresh["kind"] == "refusal"


def test_as_of_answers_as_the_index_stood_then_without_patching_the_clock(chat_documents, t0):
    """CHAT_AS_OF (the operator's setting): windows end at it, and what was created at or after it is out of
    every answer, all-time counts and lookups included. The clock is never read."""
    index = DuckDBPaymentIndex(":memory:")
    for doc in chat_documents:
        index.upsert(doc)

    def no_clock():
        raise AssertionError("the clock is read although an as-of moment is set")

    as_of = t0.replace(hour=10, minute=30)  # after DOCSAAAA01 (09:00) and 02 (10:00); before 03 (11:00), 05 (12:00)
    chat = Chat(DeterministicPlanner(), InMemorySessions(), no_clock, as_of=as_of)
    total = ask(chat, index, "m_acme", "how many payments", None)
    assert total["rows"][0]["value"] == Decimal(3)  # 01, 02 and the day before's 04
    assert total["query"]["window"] == {"start": "1970-01-01T00:00:00+00:00", "end": as_of.isoformat()}
    today = ask(chat, index, "m_acme", "how many payments today", None)
    assert today["rows"][0]["value"] == Decimal(2) and today["query"]["window"]["end"] == as_of.isoformat()
    assert ask(chat, index, "m_acme", "what happened to pay_DOCSAAAA05?", None)["kind"] == "not_found"
    assert ask(chat, index, "m_acme", "what happened to pay_DOCSAAAA02?", None)["kind"] == "lookup"
    index.close()


# --- a new session's first write overlaps the query (the API's `background`) ---------------------------------

class LoggedSessions(InMemorySessions):
    def __init__(self, log, fail=False):
        super().__init__()
        self.log, self.fail, self.wrote = log, fail, threading.Event()

    def append(self, merchant_id, session_id, question, plan, *, after=None):
        self.log.append(f"write {'first' if after == 0 else f'after {after}'}")
        self.wrote.set()
        if self.fail:
            raise RuntimeError("sessions down")
        super().append(merchant_id, session_id, question, plan, after=after)


class LoggedIndex:
    """The real DuckDB index; with `meet`, its query waits (up to 5 s) for the session write to have started, so
    the answer says whether the two ran at once."""

    def __init__(self, index, log, sessions, fail=False):
        self.index, self.log, self.sessions, self.fail, self.meet = index, log, sessions, fail, True
        self.name = index.name

    def execute(self, merchant_id, plan, bounds):
        self.log.append(f"query met the write: {self.sessions.wrote.wait(5) if self.meet else None}")
        if self.fail:
            raise RuntimeError("index down")
        return self.index.execute(merchant_id, plan, bounds)


@pytest.fixture
def logged(service, chat_now):
    def make(*, index_fails=False, write_fails=False):
        log = []
        sessions = LoggedSessions(log, fail=write_fails)
        chat = Chat(DeterministicPlanner(), sessions, lambda: chat_now, background=ThreadPoolExecutor(1))
        return chat, LoggedIndex(service[1], log, sessions, fail=index_fails), sessions, log
    return make


def test_a_new_sessions_first_write_runs_while_the_index_answers(logged):
    chat, index, sessions, log = logged()
    answer = ask(chat, index, "m_acme", "how many payments by status", None)
    assert answer["kind"] == "aggregate" and "query met the write: True" in log and "write first" in log
    kept = sessions.last_plan("m_acme", answer["session_id"])
    assert kept.model_dump(mode="json", exclude_none=True) == answer["plan"]
    # A turn of that session: its number is known from the one read of the last turn, so it is written while the
    # index answers too, and the next follow-up sees it.
    log.clear()
    sessions.wrote.clear()
    follow = ask(chat, index, "m_acme", "and yesterday?", answer["session_id"])
    assert follow["kind"] == "aggregate" and sorted(log) == ["query met the write: True", "write after 1"], log
    assert len(sessions.turns[("m_acme", answer["session_id"])]) == 2
    assert sessions.last_plan("m_acme", answer["session_id"]).model_dump(mode="json", exclude_none=True) == \
        follow["plan"]
    again = ask(chat, index, "m_acme", "only USD", answer["session_id"])
    assert again["plan"]["filters"].get("currencies") == ["USD"] and again["plan"]["metric"] == follow["plan"]["metric"]
    assert again["plan"].get("window") == follow["plan"].get("window") and "write after 2" in log


def test_without_background_the_first_write_follows_the_answer(service, chat_now):
    log = []
    sessions = LoggedSessions(log)
    index = LoggedIndex(service[1], log, sessions)
    index.meet = False
    ask(Chat(DeterministicPlanner(), sessions, lambda: chat_now), index, "m_acme", "how many payments", None)
    assert log == ["query met the write: None", "write first"]


def test_a_failed_query_waits_for_the_write_and_fails(logged):
    chat, index, sessions, _ = logged(index_fails=True)
    with pytest.raises(RuntimeError, match="index down"):
        ask(chat, index, "m_acme", "how many payments by status", None)
    assert len(sessions.turns) == 1  # written in full before ask returned: nothing outlives the invocation


def test_a_failed_first_write_fails_the_answer(logged):
    chat, index, _, _ = logged(write_fails=True)
    with pytest.raises(RuntimeError, match="sessions down"):
        ask(chat, index, "m_acme", "how many payments by status", None)
