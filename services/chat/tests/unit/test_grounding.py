"""The grounding check: every number a phrased answer shows must be one of the computed figures."""

from decimal import Decimal

from smartpay_chat.domain import grounding


def test_numbers_in_text_skip_labels_ids_and_dates():
    text = "On 2026-11-30 p95 was 180.5 ms for pay_ABC12345XY; EUR 1,234.50 over 12 payments (-3.5)."
    assert grounding.numbers_in(text) == [Decimal("180.5"), Decimal("1234.50"), Decimal("12"), Decimal("-3.5")]


def test_allowed_figures_come_from_rows_and_the_templated_answer():
    rows = [{"currency": "EUR", "value": Decimal("72.50"), "n": 2, "amount_minor": 7250}]
    allowed = grounding.allowed_figures(rows, "Volume — amount > 100: EUR 72.50 over 2 payments. 3 payments in scope.",
                                        rates=False)
    assert grounding.ungrounded("You took EUR 72.5 over 2 payments (3 in scope).", allowed) == []
    assert grounding.ungrounded("You took EUR 72.50, about 73 in total, up 12%.", allowed) == ["73", "12"]


def test_a_rate_may_be_shown_as_the_templated_percentage_only():
    rows = [{"value": Decimal("0.6667"), "numerator": 2, "denominator": 3}]
    allowed = grounding.allowed_figures(rows, "Approval rate: 66.67% (2 of 3)", rates=True)
    assert grounding.ungrounded("Two thirds: 66.67% (2 of 3).", allowed) == []
    assert grounding.ungrounded("About 67% were approved.", allowed) == ["67"]


def test_floats_match_as_the_template_rounds_them():
    allowed = grounding.allowed_figures([{"p95": 180.456, "n": 4}], "p95 180.5 ms over 4 payments", rates=False)
    assert grounding.ungrounded("p95 latency was 180.5 ms across 4 payments", allowed) == []
    assert grounding.ungrounded("p95 latency was 181 ms", allowed) == ["181"]


def test_dates_times_and_payment_ids_must_appear_as_written():
    """Seen with SmolLM2-135M: "... being processed in the 2026-12-30 time zone" for a window of 2026-11-30."""
    templated = "Volume — created in [2026-11-30 00:00, 2026-12-01 00:00) UTC: USD 20.00 over 1 payments."
    allowed = grounding.allowed_figures([{"value": Decimal("20.00"), "n": 1, "currency": "USD"}], templated,
                                        rates=False)
    assert grounding.ungrounded("Since 2026-11-30 00:00 you took USD 20.00.", allowed) == []
    assert grounding.ungrounded("It is being processed in the 2026-12-30 time zone.", allowed) == ["2026-12-30"]
    assert grounding.ungrounded("See pay_INVENTED0001 at 13:45.", allowed) == ["pay_INVENTED0001", "13:45"]


def test_a_zero_amount_in_nine_places_is_printed_plainly_and_stays_grounded():
    from smartpay_chat.domain.answers import aggregate_text
    from smartpay_chat.domain.plan import AggregatePlan

    rows = [{"currency": "SOL", "value": Decimal(0).scaleb(-9)}, {"currency": "EUR", "value": Decimal("0.00")}]
    text = aggregate_text(AggregatePlan(metric="refund_total"), None, rows, 24)
    assert "SOL 0.000000000" in text and "E-" not in text and "EUR 0.00" in text
    assert grounding.ungrounded(text, grounding.allowed_figures(rows, text, rates=False)) == []
