"""`make chaos`: payments through the real local stack while faults are injected at random, then a wait,
`smartpay payment reconcile --fix`, and the figures (bench/results/chaos.json, docs/reliability.md).

Faults (each drawn at random every few seconds while payments are sent):
- worker_sigkill: SIGKILL of a service worker or the payment sweeper (its process group), restarted by
  this runner through the stack's process table with the argv and environment it ran with;
- amazon_pay_5xx / amazon_pay_slow / amazon_pay_timeout_after_success: windows of the Amazon Pay
  sandbox's fault profile (503 before anything changes; added latency; latency above the connector's
  timeout, so the sandbox completes the call after the connector gave up);
- duplicate_delivery: an event already delivered (copied from a tap on the bus) sent again into the
  queue of a service that consumes it;
- gateway_5xx / gateway_timeout / gateway_slow_capture: a share of the payments carry a connector fault
  directive (`smartpay_fault` metadata, honoured with PAYMENT_FAULT_INJECTION on the local stack):
  503 or timeout before the call reaches the provider, or 1.5 s before the capture;
- redis_restart: the stack's own redis-server (every private stack runs one on a free port; the stack points
  REDIS_URL and the services' own variables at it) SIGKILLed and restarted empty on the same port.
Not injected, because the local stack cannot survive them (documented in docs/reliability.md): a moto
restart (the emulator keeps tables, queues and the bus in memory: all state would be gone), a restart
of the Amazon Pay sandbox or the Solana sandbox (in-memory ledgers); and a timeout after success on
Stripe/Solana (no latency profile there; the connectors' injected faults fail before the call).

The sender is open loop: payment i is dispatched at start + i/rate whatever the earlier ones are doing
(each on a thread of its own pool), so the offered rate does not fall when the stack slows down; the
rate actually dispatched and the rate of first POST /pay calls are measured and reported.

`python -m bench.chaos [--payments N] [--rate R] [--seed S] [--wait S] [--render-only]`; by default 240
payments at 1.5/s; the issue #14 scale run is `make chaos CHAOS_ARGS="--payments 1000 --rate 5"`.
Exit 1 on any lost payment, any customer charged twice (or charged for a payment that failed), any
finding reconcile could not fix, or any payment not terminal at the end."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import requests

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench import outcomes, report
from bench.bench_saga import BIN, DONE, Payer, local_stack, merchant_session
from smartpay_payment.testing.local_stack import Emulators
from smartpay_shared.local.processes import ProcessTable
from smartpay_shared.manifest import all_manifests
from smartpay_shared.testing import EventListener

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
console = Console(width=None if sys.stdout.isatty() else 140)
SCALE_TARGET = {"payments": 1000, "offered_per_s": 5.0}  # issue #14: chaos at >= 1,000 payments, >= 5/s offered
GATEWAY_TIMEOUT_S = 2.0
SAGA_DEADLINE_S = 60
KINDS = ["worker_sigkill", "amazon_pay_5xx", "amazon_pay_slow", "amazon_pay_timeout_after_success",
         "duplicate_delivery", "redis_restart"]
NOT_SURVIVABLE = {
    "moto_restart": "moto keeps every table, queue, rule and the bus in memory: a restart loses all state",
    "amazon_pay_sandbox_restart": "the sandbox's charges live in memory: a restart loses its ledger",
    "solana_sandbox_restart": "the LiteSVM chain lives in memory: a restart loses every balance and receipt",
    "stripe_or_solana_timeout_after_success": "localstripe and the Solana sandbox have no latency profile and the "
                                              "connectors' injected faults fail before the call: a timeout after "
                                              "success is injected on Amazon Pay (sandbox latency above the "
                                              "connector timeout) only",
}


def _proc_env(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _proc_argv(pid: int) -> list[str]:
    return [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]


class Chaos:
    def __init__(self, info: dict, rng: random.Random):
        self.info, self.rng = info, rng
        self.amazon = Emulators.of(info).amazon_pay  # this stack's Amazon Pay sandbox
        self.table = ProcessTable(info["state"])
        self.counts: Counter[str] = Counter()
        self.log: list[dict] = []
        self.stop = threading.Event()
        kw = dict(endpoint_url=info["aws_endpoint_url"], region_name="us-east-1")
        self.sqs, self.events = boto3.client("sqs", **kw), boto3.client("events", **kw)
        self.tap = EventListener(self.events, boto3.client("sqs", **kw), info["bus_name"],
                                 {"source": [{"prefix": "smartpay."}]})
        self.subscribers = {s: {sub.event_type for sub in m.subscriptions} for s, m in all_manifests().items()}
        self.queues = {s: self.sqs.get_queue_url(QueueName=f"smartpay-{s}")["QueueUrl"] for s in self.subscribers}
        # What each killable process ran with, read before the first kill: the restart is the same process.
        self.processes = {}
        for name in [f"worker-{s}" for s in self.subscribers] + ["payment-sweeper", "redis"]:
            managed = self.table.running(name)
            if managed:
                self.processes[name] = (_proc_argv(managed.pid), _proc_env(managed.pid))

    def _record(self, kind: str, detail: str) -> None:
        self.counts[kind] += 1
        self.log.append({"t": round(time.time(), 3), "kind": kind, "detail": detail})

    # --- the faults -------------------------------------------------------------------------------
    def _kill_and_restart(self, name: str, down: float) -> tuple[int, int] | None:
        """SIGKILL `name` (its process group), wait `down` s, start it again with the argv and environment
        it ran with, through the stack's process table (so `stack down` stops it). (old pid, new pid)."""
        managed = self.table.running(name)
        if not managed:
            return None
        os.killpg(managed.pid, signal.SIGKILL)
        while self.table.running(name):
            time.sleep(0.05)
        time.sleep(down)
        argv, env = self.processes[name]
        env.pop("SMARTPAY_STACK_PROCESS", None)
        return managed.pid, self.table.start(name, argv, env).pid

    def worker_sigkill(self) -> None:
        name = self.rng.choice(sorted(n for n in self.processes if n != "redis"))
        pids = self._kill_and_restart(name, self.rng.uniform(0.5, 3.0))  # down as a crashed Lambda would be
        if pids:
            self._record("worker_sigkill", f"{name} pid {pids[0]} -> restarted as {pids[1]}")

    def _amazon_window(self, kind: str, profile: dict, seconds: float) -> None:
        requests.post(f"{self.amazon}/__sandbox/profile", json=profile, timeout=5)
        self._record(kind, f"{profile} for {seconds:.1f}s")
        self.stop.wait(seconds)
        requests.post(f"{self.amazon}/__sandbox/profile", json={"approval": "approve"}, timeout=5)

    def amazon_pay_5xx(self) -> None:
        self._amazon_window("amazon_pay_5xx", {"error_rate": 0.5}, self.rng.uniform(2, 5))

    def amazon_pay_slow(self) -> None:
        self._amazon_window("amazon_pay_slow", {"latency_ms": 600, "jitter_ms": 600}, self.rng.uniform(2, 5))

    def amazon_pay_timeout_after_success(self) -> None:
        latency = (GATEWAY_TIMEOUT_S + 0.5) * 1000
        self._amazon_window("amazon_pay_timeout_after_success", {"latency_ms": latency}, self.rng.uniform(1.5, 3))

    def duplicate_delivery(self) -> None:
        for message in self.sqs.receive_message(QueueUrl=self.tap.queue_url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=1).get("Messages", []):
            self.sqs.delete_message(QueueUrl=self.tap.queue_url, ReceiptHandle=message["ReceiptHandle"])
            body = json.loads(message["Body"])
            consumers = [s for s, types in self.subscribers.items() if body.get("detail-type") in types]
            if not consumers or self.rng.random() > 0.5:
                continue
            service = self.rng.choice(consumers)
            self.sqs.send_message(QueueUrl=self.queues[service], MessageBody=message["Body"])
            self._record("duplicate_delivery", f"{body['detail-type']} {body['detail']['metadata']['event_id']} "
                                               f"again to {service}")

    def redis_restart(self) -> None:
        down = self.rng.uniform(0.5, 2.0)
        if self._kill_and_restart("redis", down):  # no persistence: it comes back empty, on the same port
            self._record("redis_restart", f"the stack's redis {self.info['redis_url']} down {down:.1f}s, "
                                          "restarted empty")

    def loop(self) -> None:
        while not self.stop.wait(self.rng.uniform(1.0, 3.0)):
            kind = self.rng.choice(KINDS)
            try:
                getattr(self, kind)()
            except Exception as e:  # a fault that could not be injected is logged, the run goes on
                self.log.append({"t": round(time.time(), 3), "kind": kind, "error": str(e)[:300]})


DIRECTIVES = {  # per-payment connector faults (PAYMENT_FAULT_INJECTION: the saga wraps the connector)
    "gateway_5xx": "{gw}:5xx",
    "gateway_timeout": "attempt1:timeout",
    "gateway_slow_capture": "{gw}.capture:delay1500",
}
DIRECTIVE_SHARE = 0.15
POST_TRIES = 6
POST_TIMEOUT_S = 15.0
PAYMENTS_TABLE = "smartpay-payments"  # PaymentSettings.payments_table's default (PAYMENT_PAYMENTS_TABLE)


# --- the open-loop sender -------------------------------------------------------------------------------
def open_loop(send: Callable[[int], None], rate: float, n: int, spawn: Callable[[Callable[[int], None], int], Any],
              clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> list[float]:
    """Dispatch `send(i)` for i in 0..n-1 at `start + i/rate` on `spawn` (which must not wait for the
    send: a thread pool's submit), whatever earlier sends are doing: an open-loop offered load. A
    dispatcher that fell behind (a stalled process) dispatches the overdue ones at once and is back on
    the schedule: the schedule never drifts. Returns each dispatch's time, in seconds since the start."""
    if rate <= 0:
        raise ValueError("rate must be > 0")
    started = clock()
    dispatched = []
    for i in range(n):
        delay = started + i / rate - clock()
        if delay > 0:
            sleep(delay)
        dispatched.append(clock() - started)
        spawn(send, i)
    return dispatched


def measured_rate(times: Sequence[float]) -> float | None:
    """Events per second between the first and the last of `times` (n-1 intervals); None under 2 events."""
    if len(times) < 2:
        return None
    span = max(times) - min(times)
    return (len(times) - 1) / span if span > 0 else None


def _backoff(attempt: int) -> float:
    """Seconds before client retry `attempt + 1`: 1, 2, 4, 8, 8 s (a client backs off; it does not hammer)."""
    return float(min(2 ** attempt, 8))


def prepare(payer: Payer, n: int, progress: Progress | None = None) -> tuple[list[tuple[str, dict]], list[str]]:
    """The n payment bodies, before the clock starts: the buyer's side (an Amazon Pay checkout session
    at the sandbox) is not part of the offered load, and must not delay a POST past its due time.
    Returns (gateway, body) pairs and the errors of methods that could not be made."""
    bodies: list[tuple[str, dict]] = []
    errors: list[str] = []
    task = progress.add_task("payment methods (buyer side)", total=n) if progress else None
    for _ in range(n):
        try:
            bodies.append(payer.body())
        except (requests.RequestException, RuntimeError) as e:
            errors.append(f"no payment method: {e}"[:200])
        if progress is not None:
            progress.advance(task)
    return bodies, errors


def send_all(payer: Payer, bodies: list[tuple[str, dict]], rate: float, chaos: Chaos, max_in_flight: int,
             progress: Progress | None = None) -> dict[str, Any]:
    """Open-loop POST /pay of the prepared bodies; a failed or unanswered POST is retried with the same
    Idempotency-Key and body (what a client does), so one payment is taken at most once. A share of
    the payments carry a connector fault directive (Stripe and Solana have no sandbox fault profile).
    Returns the client's log: one entry per payment (its customer id, unique per payment, finds its
    record even when no POST was answered), the dispatch times and the sender threads' start lags."""
    n = len(bodies)
    payments: list[dict] = []
    starts: list[float] = []  # monotonic start of each send on its thread
    lock = threading.Lock()
    task = progress.add_task("POST /pay (open loop)", total=n) if progress else None
    origin = time.monotonic()

    def one(i: int) -> None:
        with lock:
            starts.append(time.monotonic())
        try:
            gateway, body = bodies[i]
            with lock:
                directive = chaos.rng.choice(sorted(DIRECTIVES)) if chaos.rng.random() < DIRECTIVE_SHARE else None
            if directive:
                body["metadata"]["smartpay_fault"] = DIRECTIVES[directive].format(gw=gateway)
                chaos._record(directive, f"{gateway}: {body['metadata']['smartpay_fault']}")
            key = uuid.uuid4().hex
            entry: dict[str, Any] = {"customer_id": body["customer_id"], "gateway": gateway, "first_post": time.time(),
                                     "payment_id": None, "tries": 0, "answered_ms": None, "errors": []}
            for attempt in range(POST_TRIES):
                entry["tries"] = attempt + 1
                began = time.perf_counter()
                try:
                    entry["payment_id"], _ = payer.post(body, key=key, timeout=POST_TIMEOUT_S)
                    entry["answered_ms"] = round((time.perf_counter() - began) * 1000, 1)
                    break
                except (requests.RequestException, RuntimeError) as e:
                    entry["errors"].append(str(e)[:200])
                    if attempt + 1 < POST_TRIES:
                        time.sleep(_backoff(attempt))
            with lock:
                payments.append(entry)
        finally:
            if progress is not None:
                progress.advance(task)

    pool = ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="chaos-send")
    try:
        dispatched = open_loop(one, rate, n, pool.submit)
    finally:
        pool.shutdown(wait=True)
    return {"payments": payments, "dispatched": dispatched,
            "start_lags": sorted(s - origin - i / rate for i, s in enumerate(sorted(starts)))}


class TableObserver:
    """The payments as their records say, read from the stack's payments table and shown as
    GET /payments/{id} shows them (the payment service's own `view`). Not through the API: the local
    gateway runs the payment API one call at a time today (one warm Lambda), so polling every payment
    through it would queue behind, and slow, the POSTs being measured. While waiting, a Scan of two
    small attributes (payment id, state) per round; the full records once at the end. The stack is
    private to the run, so every payment record in its table is one of the run's payments; the views
    are keyed by customer id (unique per payment here), so a payment whose POST was never answered is
    still found."""

    def __init__(self, info: dict, table: str = PAYMENTS_TABLE):
        from smartpay_payment.adapters.repository import DynamoPaymentRepository
        from smartpay_payment.service_layer.payments import view

        self._db = boto3.client("dynamodb", endpoint_url=info["aws_endpoint_url"], region_name="us-east-1")
        self._table = table
        self._repo, self._view = DynamoPaymentRepository(self._db, table), view

    def states(self) -> list[str]:
        """The state of every payment record (lower case, as GET shows it)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table, "ProjectionExpression": "payment_id, #s",
            "FilterExpression": "begins_with(payment_id, :pay)", "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":pay": {"S": "pay_"}}}
        states: list[str] = []
        while True:
            page = self._db.scan(**kwargs)
            states += [item["state"]["S"].lower() for item in page.get("Items", []) if "state" in item]
            if "LastEvaluatedKey" not in page:
                return states
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def read(self) -> dict[str, dict]:
        return {s.payment.customer_id: self._view(s.payment) for s in self._repo.all()}


def wait_terminal(states: Callable[[], list[str]], expected: int, timeout: float, progress: Progress | None = None,
                  label: str = "sagas terminal", quiet_s: float = 30.0, poll_s: float = 3.0,
                  clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
                  ) -> tuple[int, int]:
    """Poll the records' states until `expected` records exist and all are terminal; with fewer records
    (a POST that never reached the stack) the wait stops once every record there is terminal and no new
    one has appeared for `quiet_s` (a POST still queued at the gateway may yet create one). Gives up
    after `timeout` s. Returns (records, terminal) as last read."""
    task = progress.add_task(label, total=expected) if progress else None
    deadline = clock() + timeout
    records = terminal = 0
    last_new = clock()
    while True:
        try:
            now_states = states()
        except Exception as e:  # a scan that failed (the emulator busy): the next round reads again
            console.print(f"[yellow]payments table unreadable this round: {e}[/yellow]")
        else:
            if len(now_states) != records:
                records, last_new = len(now_states), clock()
            terminal = sum(s in DONE for s in now_states)
        if progress is not None:
            progress.update(task, completed=terminal)
        if terminal >= expected or (terminal == records and clock() - last_new >= quiet_s) or clock() >= deadline:
            return records, terminal
        sleep(poll_s)


def dlq_entries(info: dict) -> list[dict]:
    """Every message in every DLQ, with the reason the worker logged for its last failure."""
    sqs = boto3.client("sqs", endpoint_url=info["aws_endpoint_url"], region_name="us-east-1")
    reasons: dict[str, list[str]] = {}  # worker log -> its lines that carry a reason (read once)
    for path in (info["state"] / "logs").glob("worker-*.log"):
        with path.open(errors="replace") as lines:
            reasons[path.stem] = [line for line in lines if '"reason"' in line]
    entries = []
    for url in sqs.list_queues(QueueNamePrefix="smartpay-").get("QueueUrls", []):
        if not url.endswith("-dlq"):
            continue
        service = url.rsplit("/", 1)[1].removeprefix("smartpay-").removesuffix("-dlq")
        seen: set[str] = set()
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                        VisibilityTimeout=600).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                break
            for m in fresh:
                seen.add(m["MessageId"])
                try:
                    body = json.loads(m["Body"])
                    event_type = body.get("detail-type")
                    event_id = body["detail"]["metadata"]["event_id"]
                    pid = body["detail"]["data"].get("payment_id")
                except (ValueError, KeyError, TypeError):
                    event_type = event_id = pid = None
                reason = None
                for line in reversed(reasons.get(f"worker-{service}", [])):
                    if m["MessageId"] in line or (event_id and event_id in line):
                        try:
                            reason = json.loads(line).get("reason")
                        except ValueError:
                            reason = line[-300:]
                        break
                entries.append({"queue": service, "event_type": event_type, "event_id": event_id,
                                "payment_id": pid, "reason": reason})
    return entries


def reconcile(env: dict[str, str], out: Path, fix: bool) -> tuple[int, dict]:
    args = [str(BIN / "smartpay"), "payment", "reconcile", "--grace", "15", "--json", str(out)] + (["--fix"] if fix else [])
    done = subprocess.run(args, env={**env, "COLUMNS": "160"}, capture_output=True, text=True, timeout=1800)
    print(done.stdout[-6000:], done.stderr[-3000:], flush=True)
    return done.returncode, json.loads(out.read_text()) if out.exists() else {}


# --- the figures (pure: tests/unit/test_chaos.py) ---------------------------------------------------------
def figures(*, n: int, rate: float, sent: dict[str, Any], views: dict[str, dict], found: dict, after: dict,
            rc_found: int, rc_after: int) -> dict[str, Any]:
    """Every figure of the run from what was measured: the client's log (one entry per payment sent),
    the payments' records (`views`, by customer id: their own timelines) and the two reconcile reports
    (with --fix, then without)."""
    log = sent["payments"]
    taken = [(e, views[e["customer_id"]]) for e in log if e["customer_id"] in views]
    answered = [e for e in log if e["payment_id"]]
    unanswered_taken = [e for e in log if not e["payment_id"] and e["customer_id"] in views]
    never_taken = [e for e in log if not e["payment_id"] and e["customer_id"] not in views]
    first_posts = [e["first_post"] for e in log]
    spans = [outcomes.saga_span(v) for _, v in taken]
    ended = [s for s in spans if s is not None]
    latencies = [(end - start) * 1000 for start, end in ended]
    window = (max(end for _, end in ended) - min(first_posts)) if ended and first_posts else None
    not_terminal = sorted(v["payment_id"] for _, v in taken if v.get("status") not in DONE)
    verdicts = outcomes.classify_all(found)
    lost_reconcile = sorted({v.payment_id for v in verdicts if v.category == outcomes.LOST}
                            | {f["payment_id"] for f in after.get("findings", []) if f["kind"] == "lost"})
    lost = sorted(set(lost_reconcile) | set(not_terminal))
    double = [v for v in verdicts if v.category == outcomes.DOUBLE_CHARGE]
    wrongly = [v for v in verdicts if v.category in outcomes.MONEY_TAKEN_WRONGLY]
    unresolved_after = [f for f in after.get("findings", []) if not f.get("fixed")]
    lags = sent["start_lags"]
    post_ms = [e["answered_ms"] for e in answered if e["answered_ms"] is not None]
    statuses = Counter(v.get("status", "unknown") for _, v in taken)
    failure_codes = Counter(v.get("decline_code") or "?" for _, v in taken
                            if v.get("status") in ("failed", "declined", "fraud_declined"))
    errors = Counter(error_kind(err) for e in log for err in e["errors"])

    def count(report_json: dict, kind: str) -> dict[str, int]:
        return report_json.get("summary", {}).get(kind, {"found": 0, "fixed": 0, "unresolved": 0})

    return {
        "payments_sent": n, "no_payment_method": len(sent["no_method"]), "posted": len(log),
        "accepted": len(answered), "taken_without_answer": len(unanswered_taken), "never_taken": len(never_taken),
        "taken": len(taken), "refused_after_retries": len(unanswered_taken) + len(never_taken),
        "client_retries": sum(e["tries"] - 1 for e in log), "client_errors": dict(errors.most_common(10)),
        "post_answered_ms": outcomes.latency_summary(post_ms), "post_timeout_seconds": POST_TIMEOUT_S,
        "offered_rate_per_s": rate,
        "offered": {"asked_per_s": rate, "dispatched_per_s": _round(measured_rate(sent["dispatched"])),
                    "first_post_per_s": _round(measured_rate(first_posts)),
                    "send_start_lag_p99_s": _round(outcomes.percentile(lags, 99) if lags else None),
                    "send_start_lag_max_s": _round(max(lags) if lags else None),
                    "dispatch_seconds": _round(max(sent["dispatched"]) if sent["dispatched"] else None)},
        "completed": len(ended), "completion_window_s": _round(window),
        "completed_per_s": _round(len(ended) / window if window else None),
        "saga_latency_ms": outcomes.latency_summary(latencies),
        "final_statuses": dict(statuses.most_common()), "failure_codes": dict(failure_codes.most_common()),
        "not_terminal_at_end": not_terminal[:50], "not_terminal_count": len(not_terminal),
        "lost": {"count": len(lost), "payment_ids": lost[:50], "reconcile_lost": len(lost_reconcile),
                 "not_terminal": len(not_terminal)},
        "double_charged": {"count": len(double), "payments": [_verdict(v) for v in double][:50]},
        "money_taken_wrongly": {"count": len(wrongly), "by_category": outcomes.count_categories(wrongly),
                                "payments": [_verdict(v) for v in wrongly][:50]},
        "reconcile_categories": outcomes.count_categories(verdicts),
        "reconcile": {kind: {**count(found, kind), "unresolved_after": count(after, kind)["found"]}
                      for kind in ("lost", "double_charged", "orphan_charge", "amount_mismatch")},
        "reconcile_checked": found.get("checked"),
        "unresolved_after": len(unresolved_after),
        "reconcile_exit_codes": {"fix_run": rc_found, "after": rc_after},
        "reconcile_errors": found.get("errors", []) + after.get("errors", []),
        "gateway_charges": found.get("gateway_charges", {}),
        "findings_sample": found.get("findings", [])[:30],
    }


_POOL = re.compile(r"^HTTPConnectionPool\(host='[^']*', port=\d+\): ")


def error_kind(message: str) -> str:
    """A client error without its address and details: 'Read timed out.' for every stack's port."""
    return _POOL.sub("", message).split(" (")[0][:120]


def saga_timeouts(f: dict[str, Any]) -> int:
    """Payments the sweeper failed at their saga deadline (decline code saga_timeout)."""
    return int(f["failure_codes"].get("saga_timeout", 0))


def verdict_of_run(f: dict[str, Any]) -> dict[str, Any]:
    """The run's own target (0 lost, 0 double charged, no money taken wrongly, nothing left unresolved,
    every payment terminal) and issue #14's scale: >= 1,000 payments at >= 5/s offered (first POSTs,
    measured), every one of them taken by the stack (a payment never taken was not part of the test)."""
    failures = []
    if f["lost"]["count"]:
        failures.append(f"{f['lost']['count']} lost")
    if f["double_charged"]["count"]:
        failures.append(f"{f['double_charged']['count']} double charged")
    other = f["money_taken_wrongly"]["count"] - f["double_charged"]["count"]
    if other:
        failures.append(f"{other} charged without a successful payment")
    if f["unresolved_after"]:
        failures.append(f"{f['unresolved_after']} reconcile finding(s) unresolved after --fix")
    if f["reconcile_errors"]:
        failures.append(f"{len(f['reconcile_errors'])} gateway ledger error(s)")
    offered = f["offered"]["first_post_per_s"] or 0.0
    short = []
    if f["payments_sent"] < SCALE_TARGET["payments"]:
        short.append(f"{f['payments_sent']} payments < {SCALE_TARGET['payments']}")
    if offered < SCALE_TARGET["offered_per_s"]:
        short.append(f"{offered:g}/s offered (measured) < {SCALE_TARGET['offered_per_s']:g}/s")
    if f["taken"] < f["payments_sent"]:
        short.append(f"{f['payments_sent'] - f['taken']} of {f['payments_sent']} payments never reached the stack")
    return {"met": not failures, "failures": failures, "scale_met": not short, "scale_short": short}


def _round(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(x, digits)


def _verdict(v: outcomes.Verdict) -> dict[str, Any]:
    return {"payment_id": v.payment_id, "category": v.category, "gateway": v.gateway, "amount": v.amount,
            "fixed": v.fixed, "explanation": v.explanation[:300], "fix": v.fix}


def print_summary(f: dict[str, Any]) -> None:
    offered = f["offered"]
    lat = f["saga_latency_ms"] or {}
    post = f["post_answered_ms"] or {}
    table = Table(title="chaos run")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in [
        ("payments sent / taken by the stack", f"{f['payments_sent']} / {f['taken']}"),
        ("POST /pay answered 202 / no answer but taken / never taken",
         f"{f['accepted']} / {f['taken_without_answer']} / {f['never_taken']}"),
        ("POST /pay answer ms p50 / p99 (answered tries)",
         f"{post.get('p50_ms', '-')} / {post.get('p99_ms', '-')}"),
        ("offered: asked / dispatched / first POST per s",
         f"{offered['asked_per_s']:g} / {offered['dispatched_per_s']} / {offered['first_post_per_s']}"),
        ("sagas ended (any outcome) / per s", f"{f['completed']} / {f['completed_per_s']}"),
        ("final states", ", ".join(f"{k} {v}" for k, v in f["final_statuses"].items())),
        ("failed at the saga deadline (saga_timeout)", saga_timeouts(f)),
        ("saga p50 / p99 / max ms (own timeline)",
         f"{lat.get('p50_ms', '-')} / {lat.get('p99_ms', '-')} / {lat.get('max_ms', '-')}"),
        ("lost", f["lost"]["count"]), ("double charged", f["double_charged"]["count"]),
        ("money taken wrongly (any kind)", f["money_taken_wrongly"]["count"]),
        ("unresolved after --fix", f["unresolved_after"]), ("DLQ entries", f["dlq"]["entries"]),
    ]:
        table.add_row(name, str(value))
    console.print(table)
    if f["reconcile_categories"]:
        cats = Table(title="reconcile findings: what they meant for the customer")
        for column in ("category", "count"):
            cats.add_column(column)
        for category, count in f["reconcile_categories"].items():
            cats.add_row(category, str(count))
        console.print(cats)
    for v in f["money_taken_wrongly"]["payments"]:
        console.print(f"[red]{v['category']}: {v['payment_id']}: {v['explanation']}[/red]")
    if f["dlq"]["by_reason"]:
        dlq = Table(title="DLQ entries")
        for column in ("queue", "event type", "reason", "count"):
            dlq.add_column(column, overflow="fold")
        for d in f["dlq"]["by_reason"]:
            dlq.add_row(d["queue"], str(d["event_type"]), d["reason"], str(d["count"]))
        console.print(dlq)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=240)
    parser.add_argument("--rate", type=float, default=1.5, help="payments offered per second (open loop)")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--wait", type=float, default=None,
                        help="max seconds to wait for terminal states after sending (default: max(240, payments/2))")
    parser.add_argument("--max-in-flight", type=int, default=256,
                        help="sender threads (a payment whose thread starts late shows in the start-lag figures)")
    parser.add_argument("--render-only", action="store_true",
                        help="only rewrite docs/reliability.md and the docs/benchmarks.md section from "
                             "bench/results/chaos.json (no run)")
    args = parser.parse_args(argv)
    if args.render_only:
        rerender(json.loads((report.RESULTS / "chaos.json").read_text()))
        return 0
    wait = args.wait if args.wait is not None else max(240.0, args.payments / 2)
    rng = random.Random(args.seed)
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"smartpay-chaos-{uuid.uuid4().hex[:6]}"
    work.mkdir(parents=True)
    env = {"PAYMENT_GATEWAY_TIMEOUT_SECONDS": str(GATEWAY_TIMEOUT_S),
           "PAYMENT_SAGA_DEADLINE_SECONDS": str(SAGA_DEADLINE_S), "PAYMENT_FAULT_INJECTION": "true"}
    started = time.monotonic()
    with local_stack(env) as info:
        session = merchant_session("m_chaos", info)
        payer = Payer(info["gateway_url"], session, Emulators.of(info), seed=args.seed)
        chaos = Chaos(info, rng)
        payment_env = chaos.processes["worker-payment"][1]
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            bodies, no_method = prepare(payer, args.payments, progress)
            with chaos.tap:
                injector = threading.Thread(target=chaos.loop, daemon=True)
                injector.start()
                send_started = time.monotonic()
                try:
                    sent = send_all(payer, bodies, args.rate, chaos, args.max_in_flight, progress)
                    sent["no_method"] = no_method
                finally:  # no fault (a worker restart) may land after the stack is stopped
                    chaos.stop.set()
                    injector.join(timeout=30)
                send_seconds = time.monotonic() - send_started
            requests.post(f"{chaos.amazon}/__sandbox/profile", json={"approval": "approve"}, timeout=5)
            observer = TableObserver(info, payment_env.get("PAYMENT_PAYMENTS_TABLE", PAYMENTS_TABLE))
            wait_terminal(observer.states, len(sent["payments"]), wait, progress)
            # Past every saga's deadline (from the last record created) plus the sweeper's period, so
            # nothing is judged while in flight; then the records once more.
            created = [datetime.fromisoformat(v["created_at"]).timestamp() for v in observer.read().values()]
            time.sleep(max(0.0, max(created, default=time.time()) + SAGA_DEADLINE_S + 10 - time.time()))
            wait_terminal(observer.states, len(sent["payments"]), 30, progress, "sagas terminal (after the deadline)",
                          quiet_s=0)
            views = observer.read()
        dlq = dlq_entries(info)
        env_for_cli = {**payment_env, "PATH": os.environ.get("PATH", "")}
        env_for_cli.pop("SMARTPAY_STACK_PROCESS", None)
        with console.status("smartpay payment reconcile --fix, then once more without --fix"):
            rc_found, found = reconcile(env_for_cli, work / "found.json", fix=True)
            rc_after, after = reconcile(env_for_cli, work / "after.json", fix=False)
    result = figures(n=args.payments, rate=args.rate, sent=sent, views=views, found=found, after=after,
                     rc_found=rc_found, rc_after=rc_after)
    result.update({
        "send_seconds": round(send_seconds, 1), "seed": args.seed, "saga_deadline_seconds": SAGA_DEADLINE_S,
        "gateway_timeout_seconds": GATEWAY_TIMEOUT_S, "faults": dict(sorted(chaos.counts.items())),
        "fault_errors": [e for e in chaos.log if "error" in e][:20],
        "dlq": {"entries": len(dlq), "by_reason": _by_reason(dlq), "sample": dlq[:20]},
        "fault_log_sample": chaos.log[:40], "total_seconds": round(time.monotonic() - started, 1),
        "not_injected": NOT_SURVIVABLE,
    })
    result["verdict"] = verdict_of_run(result)
    path = write(result)
    print_summary(result)
    verdict = result["verdict"]
    console.print(f"target (0 lost, 0 double charged, nothing unresolved): "
                  f"{'met' if verdict['met'] else 'NOT met: ' + '; '.join(verdict['failures'])}; issue #14 scale "
                  f"(>= {SCALE_TARGET['payments']} payments at >= {SCALE_TARGET['offered_per_s']:g}/s offered): "
                  f"{'reached' if verdict['scale_met'] else 'not reached: ' + '; '.join(verdict['scale_short'])}")
    console.print(f"wrote {path}, {DOC} and the chaos section of {report.DOC}")
    return 0 if verdict["met"] else 1


def _by_reason(dlq: list[dict]) -> list[dict]:
    counts = Counter((d["queue"], d["event_type"], (d["reason"] or "no reason logged")[:160]) for d in dlq)
    return [{"queue": q, "event_type": t, "reason": r, "count": c} for (q, t, r), c in counts.most_common()]


def write(result: dict[str, Any]) -> Path:
    """bench/results/chaos.json and the chaos section of docs/benchmarks.md (bench.report), then
    docs/reliability.md, all from the same measured result."""
    path = report.write("chaos", result, render_section(result))
    rerender(json.loads(path.read_text()))
    return path


def rerender(saved: dict[str, Any]) -> None:
    """Both documents from a saved result, without running anything (`--render-only`)."""
    m = saved["machine"]
    report._write_section("chaos", render_section(saved).rstrip() + f"\n\nMeasured {saved['date']} on {m['cpu']} "
                          f"({m['cores']} cores, load {m['loadavg_1m_at_start']}); raw figures in "
                          "`bench/results/chaos.json`.\n")
    DOC.write_text(render(saved))


def _lat(f: dict[str, Any]) -> str:
    lat = f.get("saga_latency_ms")
    if not lat:
        return "no saga ended, so no saga latency"
    return (f"saga p50 {lat['p50_ms']:.0f} ms, p99 {lat['p99_ms']:.0f} ms, max {lat['max_ms']:.0f} ms over the "
            f"{lat['n']} payments whose saga ended (each from its own timeline: REQUESTED to INDEXED, or to its "
            "decline or failure)")


def _post(f: dict[str, Any]) -> str:
    post = f.get("post_answered_ms")
    return f"p50 {post['p50_ms']:.0f} ms, p99 {post['p99_ms']:.0f} ms over {post['n']}" if post else "none answered"


def _scale(f: dict[str, Any]) -> str:
    v = f["verdict"]
    return ("reached" if v["scale_met"] else "not reached (" + "; ".join(v["scale_short"]) + ")")


def render_section(f: dict[str, Any]) -> str:
    """The chaos section of docs/benchmarks.md."""
    o, v = f["offered"], f["verdict"]
    return f"""## Chaos (`make chaos`, bench/chaos.py)

{f['payments_sent']} payments asked at {o['asked_per_s']:g}/s open loop under random faults (details and the
reconcile findings: docs/reliability.md).

| figure | value |
|---|---|
| taken by the stack (a record exists) | {f['taken']} |
| POST /pay answered 202 / no answer but taken / never taken | {f['accepted']} / {f['taken_without_answer']} / {f['never_taken']} |
| POST /pay answer ms p50 / p99 (answered tries, client timeout {f['post_timeout_seconds']:g} s) | {(f['post_answered_ms'] or {}).get('p50_ms', '-')} / {(f['post_answered_ms'] or {}).get('p99_ms', '-')} |
| offered, measured: dispatched / first POST /pay per s | {o['dispatched_per_s']} / {o['first_post_per_s']} |
| sagas ended (any outcome: see the final states) | {f['completed']} |
| final states | {', '.join(f"{k} {c}" for k, c in f['final_statuses'].items())} |
| failed at the {f['saga_deadline_seconds']} s saga deadline (saga_timeout) | {saga_timeouts(f)} |
| sagas ended per s (first POST to last saga end) | {f['completed_per_s']} |
| saga p50 / p99 ms (own timeline) | {(f['saga_latency_ms'] or {}).get('p50_ms', '-')} / {(f['saga_latency_ms'] or {}).get('p99_ms', '-')} |
| lost / double charged / money taken wrongly | {f['lost']['count']} / {f['double_charged']['count']} / {f['money_taken_wrongly']['count']} |
| DLQ entries | {f['dlq']['entries']} |

Target 0 lost, 0 double charged, nothing unresolved: **{'met' if v['met'] else 'NOT met: ' + '; '.join(v['failures'])}**.
Issue #14 scale (>= {SCALE_TARGET['payments']} payments at >= {SCALE_TARGET['offered_per_s']:g}/s offered): {_scale(f)}."""

def render(f: dict[str, Any]) -> str:
    """docs/reliability.md from a chaos result (a saved bench/results/chaos.json renders again)."""
    faults = "\n".join(f"| {k} | {v} |" for k, v in sorted(f["faults"].items())) or "| none | 0 |"
    dlq = "\n".join(f"| {d['queue']} | {d['event_type']} | {d['reason']} | {d['count']} |"
                    for d in f["dlq"]["by_reason"]) or "| - | - | (empty) | 0 |"
    not_injected = "\n".join(f"- **{k}**: {v}." for k, v in f["not_injected"].items())
    rows = "\n".join(f"| {k.replace('_', ' ')} | {c['found']} | {c['fixed']} | {c['unresolved_after']} |"
                     for k, c in f["reconcile"].items())
    categories = "\n".join(f"| {k} | {c} |" for k, c in f["reconcile_categories"].items()) or "| (no findings) | 0 |"
    wrongly = "".join(f" `{w['payment_id']}` ({w['category']}, {w['gateway']}, {w['amount']})."
                      for w in f["money_taken_wrongly"]["payments"][:10])
    v = f["verdict"]
    kinds: Counter[str] = Counter()
    for message, count in f["client_errors"].items():
        kinds[error_kind(message)] += count
    errors = ", ".join(f"{k} x{c}" for k, c in kinds.most_common()) or "none"
    return f"""# Reliability: reconciliation and the chaos run

## Reconciliation: `smartpay payment reconcile`

The janitor. It compares the payments table with each gateway's own record and reports, per payment:

| finding | meaning | `--fix` |
|---|---|---|
| `lost` | accepted (`POST /pay` answered 202) but not terminal past its saga deadline + `--grace` (default 60 s) | no: the sweeper's job; an operator looks |
| `double_charged` | a second charge holding captured money besides the payment's own capture | refunds the extra charge |
| `orphan_charge` | the gateway holds money (an authorization or a capture) the record does not account for: the payment failed or declined, or moved to another attempt; or a charge of a payment the table lacks | voids the hold, or refunds the capture |
| `amount_mismatch` | what the record says was captured/refunded differs from the gateway's own totals | no: needs a human |

Where the gateways' records come from: **Stripe** (localstripe locally) every PaymentIntent listed through
the SDK, tied to a payment by the `smartpay_reference` metadata (`<payment_id>-<attempt>`) the connector
sets, captured and refunded amounts from its charge; **Amazon Pay** the sandbox's charge list
(`GET /__sandbox/ledger`, `merchantReferenceId` = the attempt reference; live Amazon Pay has no list call,
so the per-attempt status read is used there); **Solana** the receipt accounts derived from each attempt's
and each refund's reference, read from the cluster (LiteSVM or RPC): a receipt is created in the same
atomic transaction as the transfer of exactly the request amount, so it proves the transfer and its amount.
A payment still inside its deadline is *in flight* and not judged. Charges of payments the table lacks
count when the gateway created them after the table's oldest payment (`--unknown-since table`, the
default; an ISO time; or `off`), because a sandbox kept between runs holds charges of tables long gone.

Fixes go through the saga's own compensation: a hold is voided; a capture is recorded on the payment as a
late capture with its compensation refund, under the refund reference `<payment_id>-r<n>`, so the
payment's ledger nets to what it kept and a second run finds nothing to do (idempotent). A charge with no
payment record is voided or refunded at the gateway under `<reference>-reconcile`.

```
smartpay payment reconcile                 # every payment; Rich table + summary; exit 1 on findings
smartpay payment reconcile pay_123 pay_456 # just these
smartpay payment reconcile --fix           # void/refund orphans and duplicates, say what was done
smartpay payment reconcile --json out.json # also the report as JSON (--json - : JSON on stdout only)
```

The exit code is 1 while any finding is unresolved (after `--fix`: what it could not fix, plus the
lost and mismatched payments) or a gateway's ledger could not be read; 0 otherwise.
`services/payment/tests/integration/test_reconcile.py` creates each finding for real on the real
connectors (a Stripe hold left by a timeout after success, a Solana transfer landing after the saga
failed, a second Stripe capture for one attempt, an out-of-band Amazon Pay refund, a charge of an unknown
payment, a saga stuck past its deadline) and checks detection, `--fix` and the second, clean run.

## The chaos run

`make chaos` (`python -m bench.chaos [--payments N] [--rate R] [--seed S]`) starts the real local stack
(a private stack: moto + Terraform + workers + sweeper + HTTP gateway + emulators on free ports, with the
stack's own `redis-server` on a free port behind `REDIS_URL`; never the machine's Redis), sends payments
through `POST /pay` with a Cognito merchant token at a steady offered rate (open loop: payment i is
dispatched at start + i/rate whatever the earlier ones are doing; the rate actually dispatched and the rate
of first POSTs are measured) while injecting faults at random, waits for every saga to finish (and past every saga's deadline, so the sweeper has had its
turn), lists the DLQs, then runs `smartpay payment reconcile --fix` (payments table against Stripe's
PaymentIntents, the Amazon Pay sandbox's charges and the Solana chain's receipts) and once more without
`--fix` to count what is left. Clients retry a failed or unanswered `POST /pay` (client timeout
{f['post_timeout_seconds']:g} s, up to {POST_TRIES} tries, backing off 1, 2, 4, 8 s) with the same `Idempotency-Key`
and body, so a payment is taken at most once. The stack runs with a {f['gateway_timeout_seconds']:g} s connector timeout and a
{f['saga_deadline_seconds']} s saga deadline so that timeouts and sweeps happen within the run.

What a reconcile finding meant for the customer (bench/outcomes.py, shared with `make demo`):

| category | reconcile finding | money taken from the customer | fails the run |
|---|---|---|---|
| `voided_hold` | orphan charge, an authorization, voided by `--fix` | no (a hold released) | no |
| `open_hold` | the same, not voided | no, but funds still reserved | yes |
| `double_charge` | double charged, or a captured orphan on a payment that kept its own capture | yes, twice (even if `--fix` refunded one) | yes |
| `charged_for_failed_payment` | a captured orphan on a payment that failed or was declined | yes, for nothing | yes |
| `charge_without_payment` | a captured charge of a payment the table lacks | yes | yes |
| `lost`, `amount_mismatch` | as above | - | yes |

A payment is **lost** when reconcile reports it lost or its record is not terminal when the run ends.
Payments are followed through their records in the stack's payments table (a Scan per round, shown as
GET /payments/{{id}} shows them; not a GET per payment through the local gateway, which would compete
with the POSTs being measured), found by their customer id (unique per payment), so a payment whose
POST never got an answer is followed too. `make chaos`
exits 1 on any lost payment, any money taken wrongly, any finding unresolved after `--fix` or an
unreadable ledger. `make chaos CHAOS_ARGS="--payments 1000 --rate 5"` is the issue #14 scale run
(`--wait` defaults to max(240, payments/2) s for the sagas to finish after sending).

Target: 0 lost, 0 double charged, nothing unresolved. This run: **{"met" if v["met"] else "NOT met: " + "; ".join(v["failures"])}**.
Issue #14 scale (>= {SCALE_TARGET['payments']} payments at >= {SCALE_TARGET['offered_per_s']:g}/s offered): {_scale(f)}.

## Last run

{f['payments_sent']} payments asked at {f['offered']['asked_per_s']:g}/s (seed {f['seed']}), measured
{f['offered']['dispatched_per_s']}/s dispatched and {f['offered']['first_post_per_s']}/s first POSTs (sender start
lag p99 {f['offered']['send_start_lag_p99_s']} s), {f['client_retries']} client retries; sending took {f['send_seconds']:.0f} s, the whole run
{f['total_seconds']:.0f} s on {f['machine']['cores']} cores (load {f['machine']['loadavg_1m_at_start']} at start).
{f['taken']} payments reached the stack (a record exists): {f['accepted']} answered 202 within the client's tries,
{f['taken_without_answer']} taken although no POST was answered in time ({f['post_timeout_seconds']:g} s client timeout, up to 6
tries); {f['never_taken']} never reached it; client errors: {errors}. POST /pay answer time (answered
tries): {_post(f)}. {f['completed']} sagas ended, {f['completed_per_s']}/s from the first POST to the last saga end (at
most the offered rate when the stack keeps up: not the stack's ceiling, which bench_saga measures); {_lat(f)}.
Final states: {f['final_statuses']}; codes of the failed/declined ones: {f['failure_codes']}
({saga_timeouts(f)} failed by the sweeper at their {f['saga_deadline_seconds']} s saga deadline).

| faults injected | count |
|---|---|
{faults}

| finding (reconcile) | found | fixed by --fix | unresolved after |
|---|---|---|---|
{rows}

| what it meant for the customer | count |
|---|---|
{categories}

Lost: **{f['lost']['count']}** (reconcile {f['lost']['reconcile_lost']}, not terminal at the end
{f['lost']['not_terminal']}). Double charged: **{f['double_charged']['count']}**. Money taken wrongly (any kind):
**{f['money_taken_wrongly']['count']}**.{wrongly} Reconcile exit codes: fix run {f['reconcile_exit_codes']['fix_run']},
second run {f['reconcile_exit_codes']['after']}. Gateway charges read: {f['gateway_charges']}.{(' Reconcile errors: ' + '; '.join(f['reconcile_errors'])) if f['reconcile_errors'] else ''}

DLQ entries: **{f['dlq']['entries']}**.

| queue | event type | reason (last failure the worker logged) | count |
|---|---|---|---|
{dlq}

## What each fault exercises

- **worker_sigkill**: a worker (fraud, routing, payment, chat) or the payment sweeper is killed with
  SIGKILL mid-batch and restarted by the runner from the stack's process table. Messages in flight
  reappear after the queue's visibility timeout; the saga's conditional writes make the redelivery a
  no-op or a resume (a charge in flight is settled from the gateway's own record first).
- **amazon_pay_5xx**: the sandbox answers 503 before changing anything; the saga falls back or
  retries, and routing's health windows see the errors.
- **amazon_pay_slow**: added latency below the connector's timeout.
- **amazon_pay_timeout_after_success**: latency above the connector's timeout: the connector gives up
  while the sandbox still completes the call (a charge the saga did not see). The saga reads the
  gateway's record before calling the attempt failed; what lands even later is an orphan charge that
  reconciliation voids or refunds (recorded on the payment as a compensation).
- **duplicate_delivery**: an already delivered event is sent again into a consuming service's queue:
  every handler must treat it as a no-op.
- **gateway_5xx / gateway_timeout / gateway_slow_capture**: per-payment connector faults on any
  gateway (`smartpay_fault` metadata): 503 or a timeout before the provider sees the call (fallback
  to another attempt), or 1.5 s before the capture (a window for a worker kill mid-charge).
- **redis_restart**: the stack's own Redis (fraud velocity features, routing health, gateway rate limit)
  is SIGKILLed, stays down for up to 2 s and comes back empty on the same port.

## Not injected: faults the local stack cannot survive

{not_injected}

Production differs: DynamoDB, SQS and EventBridge are durable managed services, so the emulator
restart has no production counterpart; the sandboxes stand in for gateways whose ledgers are durable.
"""


if __name__ == "__main__":
    sys.exit(main())
