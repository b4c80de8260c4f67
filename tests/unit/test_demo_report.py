"""scripts/demo.py's report: the ledger check fails the demo on a double charge that `reconcile --fix`
fixed (reconcile itself exits 0 then) and passes on a voided hold; a refund still settling is shown as
pending, not as a final row; the latency sentence claims only what its figures say."""

import importlib.util
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from smartpay_shared.manifest import repo_root


@pytest.fixture(scope="module")
def demo():
    spec = importlib.util.spec_from_file_location("demo_script", repo_root() / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.fixture
def printed(demo, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(demo, "console", Console(file=out, width=200, color_system=None))
    return out


def reconcile_answers(demo, monkeypatch, findings, returncode=0, errors=()):
    """`smartpay payment reconcile --fix --json PATH` as the demo runs it: writes PATH, exits `returncode`."""
    calls = []

    def run(argv, **kwargs):
        calls.append(argv)
        path = argv[argv.index("--json") + 1]
        with open(path, "w") as out:
            json.dump({"checked": 3, "findings": findings, "errors": list(errors), "summary": {}}, out)
        return subprocess.CompletedProcess(argv, returncode, "reconciliation findings ...", "")

    monkeypatch.setattr(demo.subprocess, "run", run)
    return calls


HOLD = {"payment_id": "pay_hold", "kind": "orphan_charge", "state": "INDEXED", "gateway": "amazon_pay",
        "gateway_reference": "S01-1", "amount": 5000, "fixed": True, "fix": "voided authorization S01-1",
        "detail": "authorized on amazon_pay (pay_hold-1) while the payment is INDEXED", "charge_status": "authorized"}
DOUBLE = {"payment_id": "pay_twice", "kind": "double_charged", "state": "INDEXED", "gateway": "stripe",
          "gateway_reference": "pi_2", "amount": 4200, "fixed": True,
          "fix": "refunded 4200 of pi_2 (refund re_1, recorded)",
          "detail": "second charge captured on stripe (pay_twice-2) besides pi_1", "charge_status": "captured"}


def test_a_fixed_double_charge_fails_the_demo_and_names_the_payment(demo, printed, monkeypatch, tmp_path):
    calls = reconcile_answers(demo, monkeypatch, [HOLD, DOUBLE], returncode=0)  # reconcile: all fixed, exit 0
    assert demo.check_ledgers(tmp_path) is False
    assert calls[0][-4:] == ["reconcile", "--fix", "--json", str(tmp_path / "reconcile.json")]
    text = printed.getvalue()
    assert "DOUBLE_CHARGE: payment pay_twice" in text and "refunded 4200 of pi_2" in text
    assert "pay_hold: an authorization on amazon_pay" in text and "no money was taken" in text


def test_a_voided_hold_alone_passes(demo, printed, monkeypatch, tmp_path):
    reconcile_answers(demo, monkeypatch, [HOLD], returncode=0)
    assert demo.check_ledgers(tmp_path) is True
    assert "voided_hold" in printed.getvalue()


def test_no_findings_pass_and_an_unresolved_or_unreadable_run_fails(demo, printed, monkeypatch, tmp_path):
    reconcile_answers(demo, monkeypatch, [], returncode=0)
    assert demo.check_ledgers(tmp_path) is True
    reconcile_answers(demo, monkeypatch, [{**HOLD, "fixed": False, "fix": "not fixed: 503"}], returncode=1)
    assert demo.check_ledgers(tmp_path) is False
    reconcile_answers(demo, monkeypatch, [], returncode=1, errors=["stripe: ledger unreadable: boom"])
    assert demo.check_ledgers(tmp_path) is False


def test_no_json_report_fails(demo, printed, monkeypatch, tmp_path):
    monkeypatch.setattr(demo.subprocess, "run",
                        lambda argv, **kw: subprocess.CompletedProcess(argv, 0, "", "Traceback ..."))
    assert demo.check_ledgers(tmp_path) is False
    assert "no readable JSON report" in printed.getvalue()


def test_a_pending_refund_is_not_shown_as_final(demo, printed):
    settled = demo.Sent("normal card", "card", "pay_done", {
        "payment_id": "pay_done", "status": "refunded", "refunded_amount": 5000,
        "refunds": [{"number": 1, "amount": 5000, "status": "succeeded", "compensation": False}]})
    settling = demo.Sent("normal card", "card", "pay_wait", {
        "payment_id": "pay_wait", "status": "indexed", "refunded_amount": 0,
        "refunds": [{"number": 1, "amount": 1000, "status": "pending", "compensation": False}]})
    table, counts = demo.refund_table([settled, settling], {"pay_done": "full -> HTTP 200",
                                                            "pay_wait": "1000 -> HTTP 202"})
    assert counts == {"settled": 1, "pending": 1, "refused": 0, "not recorded": 0}
    demo.console.print(table)
    lines = printed.getvalue().splitlines()
    wait = next(line for line in lines if "pay_wait" in line)
    done = next(line for line in lines if "pay_done" in line)
    assert "PENDING" in wait and "refunded (settled)" not in wait
    assert "indexed (not final: a refund is pending)" in wait  # the payment's status is not shown as final
    assert "refunded (settled)" in done and "PENDING" not in done


def test_the_latency_sentence_checks_the_target_against_its_own_figures(demo):
    fast = demo.latency_sentence([300.0, 400.0, 500.0], 3)
    assert "p50 400 ms" in fast and "target p50 <= 1000 ms and p99 <= 5000 ms: met" in fast
    slow = demo.latency_sentence([300.0, 400.0, 500.0, 9000.0], 5)
    assert "p99 8745 ms" in slow and ": not met" in slow and "over 4 of 5 payments" in slow
    assert "no figure" in demo.latency_sentence([], 5)


def at(seconds):
    return (datetime(2026, 12, 1, tzinfo=UTC) + timedelta(seconds=seconds)).isoformat()


def test_the_summary_measures_the_saga_to_the_index_from_the_timeline(demo, printed):
    indexed = {"payment_id": "pay_1", "status": "indexed", "gateway": "stripe", "captured_amount": 1,
               "attempts": [], "created_at": at(0), "completed_at": at(0.2),  # completed_at = CAPTURED
               "timeline": [{"state": "REQUESTED", "at": at(0)}, {"state": "CAPTURED", "at": at(0.2)},
                            {"state": "INDEXED", "at": at(0.9)}]}
    lost = demo.summarize([demo.Sent("normal card", "card", "pay_1", indexed)], {})
    assert lost == 0
    assert "p50 900 ms" in printed.getvalue()
