"""The misses of heldout_s's blind measurement (issue #17, docs/chat.md: 157 of 160 right as written) and the
earlier batches' misses left open, mended together: "do the needful and send the revenue", "Bangladesh time", "what
about FR" after a country; a self-introduction or an apology before the question and an aside after it ("sorry if
this is a silly question, ...", heldout_n), a speaker's not-knowing in a story ("I do not know how to answer",
heldout_q), "because I'm thinking about ..." after the question (heldout_q), "counting by the number of payments"
(heldout_q), "for payments over 100 dollars" as a follow-up (heldout_q), "Fwd from Pieter (finance):" (heldout_r),
a city of the question's own zone in a story (heldout_p), "how much did families pay us" (heldout_r)."""

import pytest

from smartpay_chat.testing import fields, plan


def test_send_the_figures_is_a_request_and_sending_anything_else_stays_refused():  # heldout_s 137
    found = fields("Do the needful and send the revenue for the last 15 days in Dhaka time.")
    assert (found["metric"], found["timezone"], found["window"]) == (
        "volume", "Asia/Dhaka", {"period": "last_n_days", "n": 15}), found
    assert fields("send me the revenue by gateway for yesterday")["group_by"] == ["gateway"]
    for question in ("send an email with the volume today", "send the refund for yesterday's payments",
                     "send the invoice to the customer"):
        assert plan(question).kind == "refusal", question


@pytest.mark.parametrize("question, zone", [("volume yesterday, Bangladesh time", "Asia/Dhaka"),
                                            ("count today in Sri Lankan time", "Asia/Colombo"),
                                            ("approval rate this week, Uruguay time", "America/Montevideo"),
                                            ("refunds last week in Ghana time", "Africa/Accra")])
def test_a_country_with_one_zone_before_time(question, zone):  # heldout_s 138
    assert fields(question)["timezone"] == zone


def test_a_country_code_in_a_follow_up():  # heldout_s 225
    base = plan("payments from DE today")
    assert plan("what about FR", base).filters.countries == ("FR",)
    assert plan("what about IT", base).filters.countries == ("IT",)  # a word-like code in capitals
    assert plan("tell me about it", base).filters.countries == ("DE",)  # "it" in lower case is no country


def test_a_speaker_about_themselves_before_the_question_and_an_aside_after():  # heldout_n 153, heldout_q 171, 177
    found = fields("sorry if this is a silly question, I am new here, but could you tell me how many payments were "
                   "declined since the week started, I am writing the notes for the manager")
    assert found["metric"] == "count" and found["window"] == {"period": "this_week"}, found
    found = fields("Hello, I sell an online course and my accountant keeps asking me things I do not know how to "
                   "answer, so could you please tell me how much money came in yesterday in Buenos Aires time?")
    assert found["metric"] == "volume" and found["timezone"] == "America/Argentina/Buenos_Aires", found
    found = fields("Please tell me the average value of each purchase in US dollars for this week, because I'm "
                   "thinking about changing the price")
    assert found["metric"] == "average_order_value" and found["filters"]["currencies"] == ["USD"], found
    # what the speaker says about themselves may not narrow or add to the question
    for question in ("I sell in Germany, how many payments yesterday", "I only use stripe, volume yesterday",
                     "I do not want stripe, volume yesterday", "volume yesterday, because I am not counting stripe",
                     "I am looking at last week, how many payments", "we are a Tokyo shop, volume yesterday"):
        assert plan(question).kind == "refusal", question


def test_counting_by_the_number_of_payments():  # heldout_q 176
    found = plan("Which are the two countries where I sell more, counting by the number of payments, for the last "
                 "30 days")
    assert (found.metric, found.group_by, found.top_n) == ("count", ("country",), 2), found
    assert plan("volume by the way yesterday").kind == "refusal"


def test_for_payments_over_an_amount_narrows_the_last_question():  # heldout_q 202
    base = plan("decline rate by method yesterday, Singapore time")
    narrowed = plan("for payments over 100 dollars", base)
    assert (narrowed.metric, narrowed.group_by, narrowed.timezone) == ("decline_rate", ("method",), "Asia/Singapore")
    assert narrowed.filters.amount_gt is not None
    stepped = plan("what about the day before that one", narrowed)
    assert stepped.window.period == "on_date" and stepped.filters.amount_gt is not None, stepped
    assert plan("for payments over 100 dollars").metric == "count"  # alone: the payments themselves


def test_a_forwarded_header_with_a_name_and_its_role():  # heldout_r 114
    found = fields("Fwd from Pieter (finance): what was our turnover last week, Amsterdam time?")
    assert found["metric"] == "volume" and found["timezone"] == "Europe/Amsterdam", found
    for question in ("Fwd from Pieter: what was our turnover last week?", "From Adyen: what was our turnover?",
                     "Fwd from Adyen (stripe): what was our turnover last week?"):
        assert plan(question).kind == "refusal", question


def test_a_city_of_the_question_own_zone_in_its_story():  # heldout_p 160
    assert fields("santiago office asking: volume yesterday in Santiago time")["timezone"] == "America/Santiago"
    for question in ("santiago office asking: volume yesterday in Tokyo time", "tokyo office asking: volume yesterday"):
        assert plan(question).kind == "refusal", question


def test_how_much_did_families_pay_us():  # heldout_r 139
    assert fields("How much did families pay us in July, Denver time?")["metric"] == "volume"
    assert fields("how much have our students paid us this month")["metric"] == "volume"
