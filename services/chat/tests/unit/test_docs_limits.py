"""Issue #17 item 7: the docs state the question length the API enforces (docs/api.md once said 2,000 while the
code stopped at 500)."""

import re
from pathlib import Path

from smartpay_chat.domain.narrative import MAX_CLAUSES
from smartpay_chat.entrypoints.api import MAX_QUESTION, ChatRequest

DOCS = Path(__file__).resolve().parents[4] / "docs"


def test_docs_state_the_enforced_question_length():
    api = (DOCS / "api.md").read_text()
    chat = (DOCS / "chat.md").read_text()
    assert re.search(rf"`question` \(1\.\.{MAX_QUESTION} chars\)", api)
    assert f"over {MAX_QUESTION} characters" in chat
    assert not re.search(r"2,?000 char", api + chat)


def test_the_limit_is_enforced_at_exactly_that_length():
    ChatRequest(question="x" * MAX_QUESTION)
    try:
        ChatRequest(question="x" * (MAX_QUESTION + 1))
    except ValueError as e:
        assert "question" in str(e)
    else:
        raise AssertionError("a question over the limit was accepted")


def test_docs_state_the_clause_cap_for_a_story():
    chat = (DOCS / "chat.md").read_text()
    assert re.search(rf"more\s+than {MAX_CLAUSES} clauses \(`narrative\.MAX_CLAUSES`\)", chat)
