"""Session 21's later fixes (issue #17, docs/chat.md): heldout_ap's code-switching (a window word in another language
had been dropped as an unknown word: an all-time figure, 26 wrong answers), the review of heldout_al's fixes (amounts
read as dates, "pending since 3 days" as the last 3 days, "from Monday" guessed, false friends firing on English), and
three of heldout_an's / heldout_am's wrong answers. Wordings here are our own, not the batches' lines."""

import pytest

from smartpay_chat.testing import fields, plan


@pytest.mark.parametrize(("question", "period"), [
    ("approval rate hoy", "today"), ("volume de ayer en EUR", "yesterday"), ("refunds esta semana", "this_week"),
    ("net revenue del mes pasado", "last_month"), ("payments aujourd'hui", "today"),
    ("volume la semaine dernière", "last_week"), ("decline rate heute", "today"), ("refund total gestern", "yesterday"),
    ("payments letzten Monat", "last_month"), ("pichle hafte volume", "last_week"), ("is mahine ka net revenue", "this_month"),
    ("payments kahapon", "yesterday"), ("volume hari ini", "today"), ("approval rate ontem", "yesterday")])
def test_an_unambiguous_window_in_another_language_is_read(question, period):
    assert fields(question)["window"]["period"] == period


@pytest.mark.parametrize("question", ["kal ka volume", "payments ngayon", "volume semalam", "refunds la semana",
                                      "approval rate diese Tage"])
def test_a_foreign_time_word_with_two_readings_or_alone_is_never_dropped(question):
    assert plan(question).kind == "refusal", plan(question)


def test_accents_are_folded_but_places_keep_working():
    assert fields("volume yesterday in São Paulo time")["timezone"] == "America/Sao_Paulo"
    assert fields("approval rate la semaine passée")["window"]["period"] == "last_week"


@pytest.mark.parametrize("question", ["aaj ke payments by hour", "pa-breakdown naman ng payments by status today"])
def test_a_lower_case_particle_before_payments_is_no_country(question):
    found = plan(question)  # refused for the particle, or answered without a country: never Kenya or Nigeria
    assert found.kind == "refusal" or not found.filters.countries, found


def test_a_country_code_in_capitals_before_payments_still_is():
    assert fields("how many KE payments today")["filters"]["countries"] == ["KE"]
    assert fields("how many gb payments today")["filters"]["countries"] == ["GB"]


def test_c_est_is_no_eastern_time():
    assert fields("c'est quoi le approval rate aujourd'hui").get("timezone", "UTC") == "UTC"
    assert fields("volume today EST")["timezone"] == "America/New_York"
    assert fields("payments per hour today in 'PST'")["timezone"] == "America/Los_Angeles"  # quoted: still a zone


# the third review (about 1,350 wordings against the foreign words)
@pytest.mark.parametrize("question", ["zeig mir hier die approval rate", "refunds antes de ayer",
                                      "approval rate for customer Heute this month", "payments from Hoy",
                                      "dólares canadienses hoy"])
def test_foreign_words_that_are_also_names_or_other_words_are_refused(question):
    assert plan(question).kind == "refusal", plan(question)


def test_the_green_light_with_another_status_is_not_approved():
    assert fields("refunds that got the green light")["filters"]["statuses"] == ["refunded", "partially_refunded"]


def test_our_review_is_still_the_fraud_review():
    assert fields("payments under our review")["filters"]["fraud_decisions"] == ["review"]


@pytest.mark.parametrize("question", ["cancela el refund de pay_SYN00000001", "annuler le paiement pay_SYN00000002",
                                      "bitte stornieren pay_SYN00000003"])
def test_an_action_in_another_language_is_refused(question):
    assert plan(question).kind == "refusal"


def test_spanish_dollars_keep_their_currency():
    assert fields("el gross del mes pasado en dólares")["filters"]["currencies"] == ["USD"]


def test_full_refunds_only_narrows_the_refunded_payments():
    assert fields("refunded payments last week, full refunds only")["filters"]["statuses"] == ["refunded"]
    assert sorted(fields("refunded payments last week")["filters"]["statuses"]) == ["partially_refunded", "refunded"]


def test_every_status_included_is_no_breakdown():
    assert "group_by" not in fields("payments last month, all statuses included")


def test_make_it_24h_after_a_window_is_the_last_24_hours():
    found = fields("make it 24h", plan("fallbacks in the last 6 hours"))
    assert found["window"] == {"period": "last_n_hours", "n": 24} and "top_n" not in found, found
    assert fields("make it 10", plan("top 5 countries by volume"))["top_n"] == 10


# the review of heldout_al's fixes (an outside reviewer's ~1,000 wordings)
@pytest.mark.parametrize("question", ["Show payments above 10.10.", "payments under 3.10.", "payments up to 23.11."])
def test_an_amount_with_a_final_full_stop_is_no_date(question):
    assert "window" not in fields(question), fields(question)


@pytest.mark.parametrize("question", ["payments of 23.11.", "success rate 12/13", "how many payments were 12/13 approved"])
def test_a_number_pair_with_no_date_word_before_it_is_not_guessed(question):
    found = plan(question)
    assert found.kind == "refusal" or found.window is None, found


def test_a_date_after_a_date_word_is_read():
    assert fields("volume since the 20.11.")["window"]["start_date"] == "2026-11-20"
    assert fields("refunds from 23.11. until 29.11.2026")["window"]["end_date"] == "2026-11-29"


@pytest.mark.parametrize("question", ["payments pending since 3 days", "refunds waiting since 2 weeks",
                                      "payments open since 5 days"])
def test_since_n_days_after_a_state_is_not_the_last_n_days(question):
    found = plan(question)
    assert found.kind == "refusal" or found.window is None or found.window.period != "last_n_days", found


def test_since_n_days_alone_is_the_last_n_days():
    assert fields("number of payments since 14 days")["window"] == {"period": "last_n_days", "n": 14}


@pytest.mark.parametrize("question", ["payments from Monday only", "revenue from Monday", "refunds from Monday's batch"])
def test_from_a_weekday_alone_is_not_guessed(question):
    assert plan(question).kind == "refusal"


def test_from_a_weekday_until_now_is_since():
    assert fields("revenue from Monday until today")["window"]["period"] == "since_weekday"


@pytest.mark.parametrize("question", ["errors in processing yesterday", "delays in processing last week",
                                      "tax of refunds last month", "tax of fraud losses", "goods returned to customers",
                                      "how are operations in Germany this month?"])
def test_false_friends_do_not_fire_on_english(question):
    found = plan(question)
    assert found.kind == "refusal", found


def test_false_friends_still_read_the_non_native_wordings():
    assert fields("what is the tax of decline of this week")["metric"] == "decline_rate"
    assert fields("how many payments are still in processing")["filters"]["statuses"] == ["pending"]
    assert fields("the amount returned to clients last month")["metric"] == "refund_total"


# heldout_ao's wrong answers
def test_a_report_called_a_review_is_no_fraud_review_filter():
    found = plan("prepping the monthly review: approval rate last month")
    assert found.kind == "refusal" or not found.filters.fraud_decisions, found
    assert fields("how many payments were sent to manual review this week")["filters"]["fraud_decisions"] == ["review"]


def test_the_green_light_is_approved():
    assert fields("how many payments got the green light yesterday")["filters"]["statuses"] == [
        "captured", "refunded", "partially_refunded"]


# heldout_aq / heldout_ar (no special emphasis): their two fixed wrong answers
@pytest.mark.parametrize("question", ["how many sales yesterday", "number of sales this week"])
def test_sales_counted_are_payments(question):
    assert fields(question)["metric"] == "count"


def test_sales_alone_are_still_the_money():
    assert fields("sales yesterday")["metric"] == "volume"


@pytest.mark.parametrize("question", ["export all november payments to a csv file", "please export last week's payments",
                                      "download the refunds as xlsx"])
def test_a_file_export_is_refused(question):
    assert plan(question).kind == "refusal"


def test_export_in_a_story_is_not_a_request():
    assert plan("It's for the export slide: which three countries brought in the most revenue this month?").kind == "aggregate"
