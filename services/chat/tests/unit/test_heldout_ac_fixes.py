"""The misses of heldout_ac's blind measurement (issue #17, docs/chat.md: 158 of 160 right as written): "Volume in GBP
last month >> and in euros? >> now add them together as one number" was answered (one currency's volume: wrong), and
the scorer normalised "approved" for a money figure on the answer's side only."""

import pytest

from smartpay_chat import paraphrase_suite as ps
from smartpay_chat.testing import plan


@pytest.mark.parametrize("turn", ["now add them together as one number", "add them together", "sum those up"])
def test_adding_two_answers_together_is_refused(turn):
    found = plan(turn, plan("and in euros?", plan("Volume in GBP last month")))
    assert found.kind == "refusal" and "add two answers" in found.reason, found


def test_one_figure_for_money_keeps_its_currency_reason():
    assert "different currencies" in plan("volume last month as one number").reason


def test_the_scorer_treats_approved_money_alike_on_both_sides():
    expected = ps.parse_spec("volume s=approved w=yesterday")
    answer = {"plan": {"metric": "volume", "filters": {"statuses": []}, "timezone": "UTC"},
              "query": {"window": {"start": ps.WINDOWS["yesterday"][0].isoformat(),
                                   "end": ps.WINDOWS["yesterday"][1].isoformat()}}}
    assert ps._plan_problems(expected, answer) == []
    answer["plan"]["filters"]["statuses"] = ["failed"]
    assert ps._plan_problems(expected, answer)  # a different status set still differs
