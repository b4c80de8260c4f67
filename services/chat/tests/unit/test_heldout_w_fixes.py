"""The misses of heldout_w's blind measurement (issue #17, docs/chat.md: 156 of 160 right as written): a chatbot
user's "Query:" / "Task:" label, "Please tell me ..." read as a story's reporting verb, and what the speaker is not
("I'm not a developer, ...")."""

import pytest

from smartpay_chat.testing import fields, plan


@pytest.mark.parametrize("question", ["Query: volume by currency last month", "Task: declines by gateway yesterday",
                                      "Q: approval rate this week"])
def test_a_label_in_front_of_the_question(question):  # heldout_w 148, 194
    assert plan(question).kind == "aggregate", question


def test_please_tell_me_is_the_request_not_a_report():  # heldout_w 81 (refused: "would change the question")
    found = fields("Please tell me my net revenue for last month, after refunds.")
    assert found["metric"] == "net" and found["window"] == {"period": "last_month"}, found
    # a report in front of the question is still a story ("the customer told me ...")
    assert fields("A customer told me his payment was declined, how many declines today?")["metric"] == "count"


def test_what_the_speaker_is_not():
    assert fields("I'm not a developer, how many payments yesterday")["metric"] == "count"
    for question in ("I am not counting stripe, volume yesterday", "we are not good with paypal, volume yesterday"):
        assert plan(question).kind == "refusal", question
