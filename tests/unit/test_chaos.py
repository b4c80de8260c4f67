"""bench/chaos.py's pure parts: the open-loop scheduler (keeps the offered rate whatever the sends do,
and does not drift after a stall), the measured rates, the run's figures from the sender's log, the
payments' timelines and the two reconcile reports, the verdict, and the documents written from them."""

import json
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from concurrent.futures import ThreadPoolExecutor

import pytest

from smartpay_shared.manifest import repo_root

if str(repo_root()) not in sys.path:  # the repo's bench package is not installed in the venv
    sys.path.insert(0, str(repo_root()))

from bench import chaos, report  # noqa: E402


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


def test_open_loop_dispatches_on_the_schedule_whatever_the_sends_do():
    clock = FakeClock()
    spawned = []
    times = chaos.open_loop(lambda i: None, 4.0, 8, lambda send, i: spawned.append((i, clock.now)),
                            clock=clock, sleep=clock.sleep)
    assert times == pytest.approx([i / 4.0 for i in range(8)])
    assert [i for i, _ in spawned] == list(range(8))


def test_a_stalled_dispatcher_catches_up_and_does_not_drift():
    clock = FakeClock()

    def spawn(send, i):
        if i == 2:
            clock.now += 1.0  # the dispatcher stalls for 1 s (a loaded machine)

    times = chaos.open_loop(lambda i: None, 10.0, 15, spawn, clock=clock, sleep=clock.sleep)
    assert times[:3] == pytest.approx([0.0, 0.1, 0.2])
    # i = 3..12 were due during the stall: dispatched at once when it ends (t = 1.2) ...
    assert times[3:13] == pytest.approx([1.2] * 10)
    # ... and the schedule resumes where it was, not 1 s later
    assert times[13:] == pytest.approx([1.3, 1.4])


def test_open_loop_does_not_wait_for_slow_sends():
    done = []
    lock = threading.Lock()

    def send(i):
        time.sleep(0.5)
        with lock:
            done.append(i)

    pool = ThreadPoolExecutor(max_workers=16)
    started = time.monotonic()
    times = chaos.open_loop(send, 20.0, 10, pool.submit)
    dispatch_seconds = time.monotonic() - started
    pool.shutdown(wait=True)
    assert dispatch_seconds < 0.5 + 0.25  # a closed loop would take 10 x 0.5 s
    assert chaos.measured_rate(times) == pytest.approx(20.0, rel=0.25)
    assert sorted(done) == list(range(10))


def test_measured_rate():
    assert chaos.measured_rate([0.0, 0.2, 0.4, 0.6, 0.8]) == pytest.approx(5.0)
    assert chaos.measured_rate([3.0]) is None
    with pytest.raises(ValueError):
        chaos.open_loop(lambda i: None, 0, 1, lambda s, i: None)


T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def view(pid: str, status: str, start: float, end: float | None, end_state="INDEXED") -> dict:
    timeline = [{"state": "REQUESTED", "at": (T0 + timedelta(seconds=start)).isoformat()}]
    if end is not None:
        timeline.append({"state": end_state, "at": (T0 + timedelta(seconds=end)).isoformat()})
    return {"payment_id": pid, "status": status, "timeline": timeline,
            "created_at": (T0 + timedelta(seconds=start)).isoformat(),
            "decline_code": "fraud_declined" if status == "fraud_declined" else None}


def finding(pid, kind, detail, state, fixed=True, fix=None, amount=1250):
    """As `reconcile --json` writes it: the charge's status in its own field (the detail's first word here)."""
    status = ("authorized" if detail.startswith("authorization left open") else
              detail.split()[2] if detail.startswith("second charge") else detail.split()[0])
    return {"payment_id": pid, "kind": kind, "detail": detail, "state": state, "gateway": "stripe",
            "gateway_reference": "pi_x", "amount": amount, "fixed": fixed, "fix": fix,
            "charge_status": None if kind in ("lost", "amount_mismatch") else status}


def client_log(n=5, unanswered=()):
    t0 = T0.timestamp()
    return [{"customer_id": f"cus_{i}", "gateway": "stripe", "first_post": t0 + i * 0.2 - 0.05,
             "payment_id": None if i in unanswered else f"pay_{i}", "tries": 6 if i in unanswered else 1 + (i == 0),
             "answered_ms": None if i in unanswered else 100.0 + i,
             "errors": ["Read timed out. (read timeout=15)"] * (6 if i in unanswered else int(i == 0))}
            for i in range(n)]


def run_figures(found_findings=(), after_findings=(), views=None, n=5, log=None):
    if views is None:
        views = {f"cus_{i}": view(f"pay_{i}", "indexed", i * 0.2, i * 0.2 + 0.5 + i * 0.1) for i in range(n)}
    sent = {"payments": log if log is not None else client_log(n), "no_method": [],
            "dispatched": [i * 0.2 for i in range(n)], "start_lags": [0.0, 0.01, 0.02, 0.03, 0.5][:n]}
    found = {"checked": len(views), "findings": list(found_findings), "summary": {}, "errors": [],
             "gateway_charges": {"stripe": n}}
    after = {"findings": list(after_findings), "summary": {}, "errors": []}
    return chaos.figures(n=n, rate=5.0, sent=sent, views=views, found=found, after=after, rc_found=0, rc_after=0)


def test_figures_of_a_clean_run():
    f = run_figures()
    assert f["accepted"] == 5 and f["taken"] == 5 and f["client_retries"] == 1
    assert f["post_answered_ms"]["p50_ms"] == pytest.approx(102.0)
    assert f["offered"]["dispatched_per_s"] == pytest.approx(5.0)
    assert f["offered"]["first_post_per_s"] == pytest.approx(5.0)
    # completed: 5 sagas from the first POST (-0.05 s) to the last end (0.8 + 0.5 + 0.4 = 1.7 s)
    assert f["completed"] == 5 and f["completion_window_s"] == pytest.approx(1.75)
    assert f["completed_per_s"] == pytest.approx(5 / 1.75, rel=0.01)
    assert f["saga_latency_ms"]["p50_ms"] == pytest.approx(700.0)
    assert f["saga_latency_ms"]["max_ms"] == pytest.approx(900.0)
    assert f["lost"]["count"] == 0 and f["double_charged"]["count"] == 0
    assert chaos.verdict_of_run(f) == {"met": True, "failures": [], "scale_met": False,
                                       "scale_short": ["5 payments < 1000"]}


def test_a_payment_not_terminal_is_lost_and_has_no_latency():
    views = {f"cus_{i}": view(f"pay_{i}", "indexed", 0, 1) for i in range(4)}
    views["cus_4"] = view("pay_4", "routed", 0, None)
    f = run_figures(views=views)
    assert f["lost"] == {"count": 1, "payment_ids": ["pay_4"], "reconcile_lost": 0, "not_terminal": 1}
    assert f["completed"] == 4 and f["saga_latency_ms"]["n"] == 4
    v = chaos.verdict_of_run(f)
    assert not v["met"] and v["failures"] == ["1 lost"]


def test_a_payment_whose_post_was_never_answered_is_followed_by_its_record():
    log = client_log(5, unanswered={1, 3})
    views = {f"cus_{i}": view(f"pay_{i}", "indexed", i * 0.2, i * 0.2 + 0.5) for i in range(5) if i != 3}
    f = run_figures(views=views, log=log)
    assert (f["accepted"], f["taken_without_answer"], f["never_taken"], f["taken"]) == (3, 1, 1, 4)
    assert f["completed"] == 4 and f["lost"]["count"] == 0  # cus_1 was taken and ended; cus_3 never reached it
    assert f["offered"]["first_post_per_s"] == pytest.approx(5.0)  # every first POST, answered or not
    assert f["client_errors"] == {"Read timed out.": 13}
    v = chaos.verdict_of_run({**f, "payments_sent": 1000})
    assert v["met"] and not v["scale_met"] and "996 of 1000 payments never reached the stack" in v["scale_short"]


def test_the_wait_ends_when_every_record_is_terminal_or_quiet():
    rounds = [["routed"], ["indexed", "routed"], ["indexed", "failed"]]

    def states():
        reads = iter(rounds + [rounds[-1]] * 100)
        return lambda: next(reads)

    clock = FakeClock()
    assert chaos.wait_terminal(states(), 2, 600, clock=clock, sleep=clock.sleep, poll_s=3) == (2, 2)
    assert clock.now == pytest.approx(106.0)  # two sleeps of 3 s
    # a captured payment is not terminal yet (its saga ends at the index)
    clock = FakeClock()
    assert chaos.wait_terminal(lambda: ["indexed", "captured"], 2, 60, clock=clock, sleep=clock.sleep,
                               poll_s=3) == (2, 1)
    assert 60 <= clock.now - 100 < 63  # until the timeout
    # a third payment never reaches the stack: the wait stops once the others are terminal and nothing
    # new has come for 30 s (the last new record at 3 s)
    clock = FakeClock()
    assert chaos.wait_terminal(states(), 3, 600, clock=clock, sleep=clock.sleep, poll_s=3, quiet_s=30) == (2, 2)
    assert clock.now - 100 == pytest.approx(33.0)
    # a failed read is skipped, the next round reads again
    clock = FakeClock()
    answers = iter([RuntimeError("moto busy"), ["indexed"]])

    def flaky():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert chaos.wait_terminal(flaky, 1, 600, clock=clock, sleep=clock.sleep, poll_s=3) == (1, 1)


def test_the_client_backs_off():
    assert [chaos._backoff(a) for a in range(5)] == [1, 2, 4, 8, 8]


def test_double_charges_are_counted_from_what_the_findings_mean():
    found = [
        finding("pay_1", "orphan_charge", "authorized on stripe (pay_1-1) while the payment is INDEXED", "INDEXED",
                fix="voided authorization pi_x"),
        finding("pay_2", "double_charged", "second charge captured on stripe (pay_2-1) besides pi_y", "INDEXED",
                fix="refunded 1250 of pi_x"),
        # beside a refunded capture reconcile says orphan, but the customer paid twice
        finding("pay_3", "orphan_charge", "captured on stripe (pay_3-1) while the payment is REFUNDED", "REFUNDED",
                fix="refunded 1250 of pi_x"),
        finding("pay_4", "orphan_charge", "captured on stripe (pay_4-1) while the payment is FAILED", "FAILED",
                fix="refunded 1250 of pi_x"),
    ]
    f = run_figures(found)
    assert f["double_charged"]["count"] == 2
    assert [d["payment_id"] for d in f["double_charged"]["payments"]] == ["pay_2", "pay_3"]
    assert f["money_taken_wrongly"]["count"] == 3
    assert f["reconcile_categories"] == {"charged_for_failed_payment": 1, "double_charge": 2, "voided_hold": 1}
    v = chaos.verdict_of_run(f)
    assert v["failures"] == ["2 double charged", "1 charged without a successful payment"]


def test_a_voided_hold_alone_does_not_fail_but_an_unresolved_finding_does():
    hold = finding("pay_1", "orphan_charge", "authorized on stripe (pay_1-1) while the payment is INDEXED",
                   "INDEXED", fix="voided authorization pi_x")
    assert chaos.verdict_of_run(run_figures([hold]))["met"]
    still = finding("pay_1", "orphan_charge", "authorized on stripe (pay_1-1) while the payment is INDEXED",
                    "INDEXED", fixed=False)
    v = chaos.verdict_of_run(run_figures([hold], [still]))
    assert v["failures"] == ["1 reconcile finding(s) unresolved after --fix"]


def test_the_scale_target_uses_the_measured_offered_rate():
    f = run_figures()
    f["payments_sent"] = f["taken"] = 1000
    assert chaos.verdict_of_run(f)["scale_met"]
    f["offered"]["first_post_per_s"] = 4.2  # asked 5/s, the sender only managed 4.2/s
    assert chaos.verdict_of_run(f)["scale_short"] == ["4.2/s offered (measured) < 5/s"]


def full_result(**found) -> dict:
    f = run_figures(**found)
    f.update({"send_seconds": 1.0, "seed": 1, "saga_deadline_seconds": 60, "gateway_timeout_seconds": 2.0,
              "faults": {"worker_sigkill": 2}, "fault_errors": [], "fault_log_sample": [], "total_seconds": 90.0,
              "not_injected": chaos.NOT_SURVIVABLE,
              "dlq": {"entries": 1, "by_reason": [{"queue": "payment", "event_type": "route.selected",
                                                   "reason": "boom", "count": 1}], "sample": []}})
    f["verdict"] = chaos.verdict_of_run(f)
    return f


def test_the_documents_are_written_from_the_figures(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(report, "DOC", tmp_path / "benchmarks.md")
    monkeypatch.setattr(chaos, "DOC", tmp_path / "reliability.md")
    double = finding("pay_2", "double_charged", "second charge captured on stripe (pay_2-1) besides pi_y",
                     "INDEXED", fix="refunded 1250 of pi_x")
    path = chaos.write(full_result(found_findings=[double]))
    saved = json.loads(path.read_text())
    assert saved["name"] == "chaos" and saved["double_charged"]["count"] == 1
    reliability = (tmp_path / "reliability.md").read_text()
    assert "This run: **NOT met: 1 double charged**" in reliability
    assert "`pay_2` (double_charge, stripe, 1250)" in reliability
    assert "| payment | route.selected | boom | 1 |" in reliability
    assert f"{saved['completed']} sagas ended, {saved['completed_per_s']}/s" in reliability
    assert "not reached (5 payments < 1000)" in reliability
    bench_doc = (tmp_path / "benchmarks.md").read_text()
    assert "<!-- bench:chaos -->" in bench_doc and "| lost / double charged / money taken wrongly | 0 / 1 / 1 |" \
        in bench_doc
    assert "**NOT met: 1 double charged**" in bench_doc
    assert "| failed at the 60 s saga deadline (saga_timeout) | 0 |" in bench_doc
    assert chaos.render(saved) == reliability  # a saved result renders the same page again
    before = bench_doc
    chaos.main(["--render-only"])  # from bench/results/chaos.json alone: the same documents
    assert (tmp_path / "benchmarks.md").read_text() == before
    assert (tmp_path / "reliability.md").read_text() == reliability


def test_client_errors_are_grouped_without_the_stack_address():
    message = "HTTPConnectionPool(host='127.0.0.1', port=48391): Read timed out. (read timeout=15)"
    assert chaos.error_kind(message) == "Read timed out."
    assert chaos.error_kind("POST /pay -> 503: {...}") == "POST /pay -> 503: {...}"


def test_a_clean_run_says_met_and_nothing_else():
    f = full_result()
    f.update({"date": "2026-12-01T10:00:00+00:00", "machine": {"cores": 2, "loadavg_1m_at_start": 0.1}})
    text = chaos.render(f)
    assert "This run: **met**" in text
    for claim in ("fast", "healthy", "a few thousand"):
        assert claim not in text.lower()


@pytest.mark.integration
def test_the_observer_reads_states_and_views_written_by_the_payment_repository(aws, moto_server):
    from smartpay_payment.adapters.repository import DynamoPaymentRepository
    from smartpay_payment.config import PaymentSettings
    from smartpay_payment.domain import model as m
    from smartpay_payment.testing import builders as b
    from smartpay_payment.testing.stack import create_tables

    db = aws("dynamodb")
    create_tables(db, PaymentSettings())
    repo = DynamoPaymentRepository(db, chaos.PAYMENTS_TABLE)
    for i, state in enumerate([m.State.INDEXED, m.State.CAPTURED, m.State.FAILED]):
        payment = m.start(b.requested(payment_id=f"pay_observer{i}", customer_id=f"cus_obs{i}"), b.NOW).after
        repo.save(payment.model_copy(update={"state": state}), [], expected_version=None)
    db.put_item(TableName=chaos.PAYMENTS_TABLE, Item={"payment_id": {"S": "vault#m_1#pmv_x"}})  # not a payment

    observer = chaos.TableObserver({"aws_endpoint_url": moto_server.url})
    assert sorted(observer.states()) == ["captured", "failed", "indexed"]
    views = observer.read()
    assert sorted(views) == ["cus_obs0", "cus_obs1", "cus_obs2"]
    assert views["cus_obs2"]["payment_id"] == "pay_observer2" and views["cus_obs2"]["status"] == "failed"
    assert chaos.wait_terminal(observer.states, 3, 0, poll_s=0) == (3, 2)  # the captured one has not ended
