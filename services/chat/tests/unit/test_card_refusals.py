"""The chat service on its own (no API card guard in front) never quotes a card number back and never keeps
one: a question holding one, plain or disguised, is a refusal that quotes nothing and reaches no engine; a
refusal quotes no word with a digit in it (a number split into groups would otherwise come back piece by
piece); a session id holding one is not used, stored or echoed; a payment id that was not found is repeated
redacted. Card numbers are built at run time (pan.luhn_complete)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
from smartpay_chat.service_layer.planner import CARD_NUMBER_REASON, DeterministicPlanner, quote_words
from smartpay_shared import pan

VISA = pan.luhn_complete("4" + "1" * 14)
GROUPS = [VISA[i:i + 4] for i in range(0, 16, 4)]


def fullwidth(digits: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in digits)


class ExplodingIndex:
    name = "exploding"

    def __getattr__(self, item):
        raise AssertionError(f"a refusal must not reach the engine ({item})")


@pytest.fixture
def service(chat_documents, chat_now):
    index = DuckDBPaymentIndex(":memory:")
    for doc in chat_documents:
        index.upsert(doc)
    sessions = InMemorySessions()
    yield Chat(DeterministicPlanner(), sessions, lambda: chat_now), index, sessions
    index.close()


def echoes(answer: dict, digits: str) -> bool:
    text = pan.normalise(str(answer))
    return any(digits[i:i + 4] in text for i in range(len(digits) - 3))


QUESTIONS = [
    f"I don't understand {VISA}", f"what happened to card {' '.join(GROUPS)}?", f"volume for {'-'.join(GROUPS)}",
    f"find payments like {VISA}", f"find {VISA} payments like refunds", f"why was {fullwidth(VISA)} declined",
    "approval rate for " + "\u200b".join(VISA), f"what happened to payment pay_{VISA}?",
    "top 5 decline reasons for " + "\u00a0".join(GROUPS), "my card ٤١١١ " + " ".join(GROUPS[1:]) + " please",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_question_holding_a_card_number_is_refused_without_quoting_it(service, question):
    chat, _, sessions = service
    answer = ask(chat, ExplodingIndex(), "m_acme", question, "s-card-1")
    assert answer["kind"] == "refusal" and CARD_NUMBER_REASON in answer["answer"]
    assert (answer["rows"], answer["citations"], answer["query"]) == ([], [], None)
    assert not echoes(answer, VISA) and sessions.turns == {}


def test_a_refusal_quotes_no_word_with_a_digit():
    assert quote_words(["weather", "4111", "1111", "paris", "٤٢"]) == '"weather", "paris", some numbers'
    assert quote_words(["1234"]) == "a number"
    assert quote_words([]) == "the question"


@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=8),
                      min_size=1, max_size=6))
def test_property_quoted_words_never_carry_a_digit(words):
    assert not any(c.isdigit() for c in pan.normalise(quote_words(words)))


@pytest.mark.parametrize("grouped", [" ".join(GROUPS[:3]), "4111 1111"])  # 12 or 8 digits: not a card
def test_an_unknown_number_is_counted_not_quoted(service, grouped):
    chat, index, _ = service
    answer = ask(chat, index, "m_acme", f"how is the weather for {grouped}", None)
    assert answer["kind"] == "refusal" and '"weather"' in answer["answer"]
    assert not any(group in answer["answer"] for group in grouped.split())


@pytest.mark.parametrize("session_id", [VISA, "-".join(GROUPS), "s_" + VISA, fullwidth(VISA)])
def test_a_session_id_holding_a_card_number_is_not_used_kept_or_echoed(service, session_id):
    chat, index, sessions = service
    answer = ask(chat, index, "m_acme", "how many payments yesterday?", session_id)
    assert answer["kind"] == "refusal" and answer["session_id"] != session_id
    assert len(answer["session_id"]) == 32 and not echoes(answer, VISA) and sessions.turns == {}


def test_a_payment_id_that_was_not_found_is_repeated_redacted(service):
    chat, index, _ = service
    answer = ask(chat, index, "m_acme", f"what happened to pay_x{VISA}?", None)  # glued to a letter: an id
    assert answer["kind"] == "not_found" and "pay_x<redacted>" in answer["answer"]
    ghost = ask(chat, index, "m_acme", "what happened to pay_DOESNOTEXIST1?", None)
    assert ghost["answer"] == "No payment pay_DOESNOTEXIST1 was found for your merchant."


def test_ordinary_questions_still_work(service):
    chat, index, _ = service
    assert ask(chat, index, "m_acme", "how many payments yesterday?", "s-ok-1")["kind"] == "aggregate"
    assert ask(chat, index, "m_acme", "what happened to pay_DOCSAAAA01?", None)["kind"] == "lookup"
    assert ask(chat, index, "m_acme", "volume between Nov 1 and Nov 7", None)["kind"] == "aggregate"
