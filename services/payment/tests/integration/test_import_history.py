"""`smartpay payment import FILE --merchant M` (issue #17 item 5) on a real moto server (table + bus): every row
validated before any write (line numbers, exit 2), card numbers refused and never echoed, records written through
the repository with the saga's transitions, each announced on the bus with its snapshot, a re-import a no-op,
refunds of imported payments refused, reconciliation leaving them out."""

import json

import pytest
from typer.testing import CliRunner

from smartpay_payment.adapters.repository import DynamoPaymentRepository
from smartpay_payment.config import payment_settings
from smartpay_payment.domain import history
from smartpay_payment.domain.model import RefundRefused, State
from smartpay_payment.domain.refunds import refund_reserved
from smartpay_payment.entrypoints.cli import app
from smartpay_shared.config import platform_settings
from smartpay_shared.testing import EventListener

pytestmark = pytest.mark.integration
BUS = "smartpay-test-bus"
CARD = "4242424242424242"
HEADER = "reference,amount,currency,status,method,customer_id,created_at,completed_at,refunded_amount,gateway," \
         "card_last4,country,decline_code,decline_reason"
ROWS = [
    "ord-1001,4250,EUR,captured,card,cus_a,2026-10-01T09:00:00+00:00,2026-10-01T09:00:02+00:00,,stripe,4242,DE,,",
    "ord-1002,1000,USD,refunded,amazon_pay,cus_b,2026-10-02T10:00:00Z,,,amazon_pay,,US,,",
    "ord-1003,3000,EUR,partially_refunded,card,cus_c,2026-10-03T11:00:00Z,,1000,stripe,1111,FR,,",
    "ord-1004,500,EUR,declined,card,cus_d,2026-10-04T12:00:00Z,,,stripe,,DE,card_declined,Your card was declined.",
    "ord-1005,990,USD,declined_fraud,card,cus_e,2026-10-05T13:00:00Z,,,,,US,,",
]


@pytest.fixture
def env(stack, monkeypatch):
    monkeypatch.setenv("SMARTPAY_BUS_NAME", BUS)
    platform_settings.cache_clear()
    payment_settings.cache_clear()
    yield stack
    platform_settings.cache_clear()
    payment_settings.cache_clear()


def write(tmp_path, lines, name="history.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def run(*args):
    return CliRunner().invoke(app, ["import", *map(str, args)])


def records(stack):
    repo = DynamoPaymentRepository(stack("dynamodb"), payment_settings().payments_table)
    return {s.payment.metadata.get(history.REFERENCE_KEY): s for s in repo.all()}


def test_a_csv_is_imported_announced_and_a_second_import_is_a_no_op(env, tmp_path):
    path = write(tmp_path, [HEADER, *ROWS])
    with EventListener(env("events"), env("sqs"), BUS) as listener:
        result = run(path, "--merchant", "m_hist")
        assert result.exit_code == 0, result.stdout + result.stderr
        assert "5 row(s): imported 5, already imported 0" in result.stdout
        seen = listener.wait_for(lambda events: len(events) >= 5)
    stored = records(env)
    assert {ref: s.payment.state for ref, s in stored.items()} == {
        "ord-1001": State.CAPTURED, "ord-1002": State.REFUNDED, "ord-1003": State.PARTIALLY_REFUNDED,
        "ord-1004": State.DECLINED, "ord-1005": State.FRAUD_DECLINED}
    assert all(s.outbox == {} and s.payment.merchant_id == "m_hist" for s in stored.values())  # published
    partial = stored["ord-1003"].payment
    assert (partial.captured_amount, partial.refunded_amount, partial.payment_method.last4) == (3000, 1000, "1111")
    assert partial.payment_id == history.payment_id_for("m_hist", "ord-1003")
    kinds = sorted((e["detail-type"], e["detail"]["data"]["payment"]["status"]) for e in seen)
    assert kinds == [("payment.completed", "captured"), ("payment.completed", "declined"),
                     ("payment.completed", "declined"), ("payment.completed", "refunded"),
                     ("payment.refunded", "partially_refunded")]
    assert {e["detail"]["data"]["payment"]["created_at"][:10] for e in seen} == {
        "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05"}

    again = run(path, "--merchant", "m_hist")
    assert again.exit_code == 0 and "imported 0, already imported 5" in again.stdout
    assert {ref: s.payment.version for ref, s in records(env).items()} == {
        ref: s.payment.version for ref, s in stored.items()}

    with pytest.raises(RefundRefused, match="previous provider"):
        refund_reserved(stored["ord-1001"].payment, None, "asked", stored["ord-1001"].payment.updated_at)


def test_every_bad_row_is_named_with_its_line_and_nothing_is_written(env, tmp_path):
    bad = [HEADER, ROWS[0],
           ROWS[1].replace("1000,USD", "abc,USD"),                       # line 3: amount
           ROWS[2].replace(",1000,", ",3000,"),                          # line 4: partial refund = amount
           ROWS[3].replace(",stripe,", ",,"),                            # line 5: no gateway
           ROWS[4].replace("cus_e", f"cus {CARD}"),                      # line 6: a card number
           ROWS[0].replace("ord-1001", "ord-1006").replace("2026-10-01T09:00:00+00:00", "2026-10-01 09:00"),  # 7
           ROWS[0]]                                                       # line 8: the reference again
    result = run(write(tmp_path, bad), "--merchant", "m_hist")
    assert result.exit_code == 2
    errors = result.stderr
    for line, what in ((3, "amount"), (4, "refunded_amount"), (5, "gateway"), (6, "customer_id: holds a card number"),
                       (7, "created_at"), (8, "reference: also on line 2")):
        assert f"line {line}: {what}" in errors, errors
    assert "line 2" not in errors.replace("also on line 2", "")
    assert CARD not in result.stdout + errors
    assert "nothing was written" in errors and records(env) == {}


def test_jsonl_with_a_merchant_column_or_a_broken_line_is_refused(env, tmp_path):
    good = {"reference": "j-1", "amount": 700, "currency": "JPY", "status": "captured", "method": "card",
            "customer_id": "cus_j", "created_at": "2026-09-30T23:00:00+09:00", "gateway": "stripe"}
    lines = [json.dumps(good), json.dumps({**good, "reference": "j-2", "merchant_id": "m_other"}), "{not json",
             json.dumps({**good, "reference": "j-3", "card_number": CARD})]
    result = run(write(tmp_path, lines, "history.jsonl"), "--merchant", "m_hist")
    assert result.exit_code == 2
    assert "line 2: merchant_id: not a column" in result.stderr and "line 3: not a JSON object" in result.stderr
    assert "line 4: card_number: holds a card number" in result.stderr and CARD not in result.stderr
    assert records(env) == {}
    ok = run(write(tmp_path, lines[:1], "one.jsonl"), "--merchant", "m_hist")
    assert ok.exit_code == 0, ok.stderr
    assert records(env)["j-1"].payment.created_at.isoformat() == "2026-09-30T23:00:00+09:00"


def test_a_boolean_amount_a_future_date_or_a_spoofed_reader_note_is_refused(env, tmp_path):
    good = {"reference": "k-1", "amount": 700, "currency": "EUR", "status": "captured", "method": "card",
            "customer_id": "cus_k", "created_at": "2026-09-30T23:00:00Z", "gateway": "stripe"}
    lines = [json.dumps({**good, "amount": True}), json.dumps({**good, "reference": "k-2",
                                                               "created_at": "2099-01-01T00:00:00Z"}),
             json.dumps({"__columns__": CARD})]  # a key the reader once used for its own notes
    result = run(write(tmp_path, lines, "history.jsonl"), "--merchant", "m_hist")
    assert result.exit_code == 2
    assert "line 1: amount:" in result.stderr and "line 2: created_at: in the future" in result.stderr
    assert "line 3: __columns__: holds a card number" in result.stderr and CARD not in result.stderr
    assert records(env) == {}


def test_the_same_reference_with_other_values_is_an_error_not_an_overwrite(env, tmp_path):
    assert run(write(tmp_path, [HEADER, ROWS[0]]), "--merchant", "m_hist").exit_code == 0
    changed = run(write(tmp_path, [HEADER, ROWS[0].replace("4250", "4251")], "changed.csv"), "--merchant", "m_hist")
    assert changed.exit_code == 2 and "line 2: reference: imported before with other values" in changed.stderr
    assert records(env)["ord-1001"].payment.amount == 4250
    other = run(write(tmp_path, [HEADER, ROWS[0]], "other.csv"), "--merchant", "m_other")  # another merchant's id
    assert other.exit_code == 0
    repo = DynamoPaymentRepository(env("dynamodb"), payment_settings().payments_table)
    assert sorted(s.payment.merchant_id for s in repo.all()) == ["m_hist", "m_other"]
