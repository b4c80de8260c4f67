"""The misses of heldout_t's blind measurement (issue #17, docs/chat.md: 158 of 160 right as written): "Can you refund
the Amazon Pay order from yesterday?" answered as a count of refunds (an action: refused now), "only GB" after a
grouping by country refused."""

import pytest

from smartpay_chat.testing import plan


@pytest.mark.parametrize("question", ["Can you refund the Amazon Pay order from yesterday?",
                                      "please refund the last 2 stripe payments", "void the pending card payments",
                                      "could you reverse yesterday's duplicate charge"])
def test_a_request_to_act_on_payments_named_in_a_few_words_is_refused(question):  # heldout_t 227
    assert plan(question).kind == "refusal", question


@pytest.mark.parametrize("question", ["decline rate for stripe payments", "refund rate for card payments",
                                      "approval rate for Amazon Pay payments yesterday",
                                      "can you show refunds from yesterday", "refunded card payments last week"])
def test_questions_that_start_like_an_action_are_still_answered(question):
    assert plan(question).kind == "aggregate", question


def test_only_a_country_code_in_a_follow_up():  # heldout_t 211
    base = plan("refunds by country this month")
    assert plan("only GB", base).filters.countries == ("GB",)
    assert plan("only IT", plan("volume today")).filters.countries == ("IT",)  # a word-like code in capitals
