"""Rewards ledger chaos benchmark (issue #20's target: 0 points lost or doubled), on the real local stack.

A private stack (moto, Terraform, every worker, the gateway, the emulators, its own Redis). `--payments`
payments go through POST /pay at `--rate`/s open loop (the real sagas: fraud, routing, the gateways' sandboxes,
payment.captured with the customer), spread over `--customers` customers so that one account takes many
payments and refunds. As payments complete, a share is refunded through POST /payments/{id}/refund: in full,
in 1-3 partial refunds, or partially then the rest; some refund calls are sent twice with the same
Idempotency-Key (a client retry), and some fully refunded payments are asked for one refund more (refused).
Meanwhile:
- redelivery: a tap on the bus copies a share of the payment.captured / payment.refunded events the rewards
  queue gets, and sends them into that queue again, some at once, some up to 20 s later (SQS delivers at least
  once; the ledger must apply each once);
- a killed worker: the rewards worker is SIGKILLed (its process group) while it holds messages and started again
  `--down` s later through the stack's process table with the argv and environment it ran with (the stack does
  not restart workers itself; bench/chaos.py restarts its killed workers the same way). Messages it had
  received come back after the queue's visibility timeout.

Then, once every saga is terminal and every refund answered, the ledger is polled until it agrees with the
payments as the payment service reports them (time to converge), and compared:
- expected, per payment with a captured amount: earn = floor(captured major x rate), clawback =
  min(earn, floor(earn x refunded / captured)) (docs/rewards.md), from GET /payments/{id} (captured_amount,
  refunded_amount: succeeded refunds); per customer: balance = sum(earn - clawback), debt 0 (no redemptions);
- actual: the rewards service's payment records (points earned and clawed per payment, the accounts table) and
  every customer's GET /rewards/{customer_id} through the gateway (balance, debt, totals);
- points lost = earn not credited + clawback beyond the rule; points doubled = earn credited beyond the rule +
  clawback missing; also every account's entries summed against its balance, and earn entries per payment;
- DLQ entries (every DLQ, with the reason the worker logged).

The chain half (bench/rewards_chain.py): half the customers link a Solana wallet through the API (challenge,
signed by the wallet's key, link) as soon as they have rewards, so the stack's minter (`smartpay rewards mint
--loop`, the scheduled function's local stand-in) mints their points while the traffic, the refunds and the
worker's kill go on; the minter itself is SIGKILLed once while a batch of it is pending in the mint journal and
started again the same way. Once the ledger agreed, the chain is polled until it agrees too, then read by the
bench itself (each linked wallet's token account, the pool's, the mint's supply) and compared with the payments
(points lost / doubled on chain), with the ledger (minted - redeemed per wallet, the supply) and by the
service's own `smartpay rewards reconcile --json`; the mint journal (batches minted / failed, the killed batch's
outcome), the minter's runs and the fees (the journal's account against the fee payer's measured balance) are
reported. Then a few customers approve the pool and redeem through POST /rewards/{id}/redeem, one redemption is
refused (beyond the approval), and the chain and the ledger are compared again.

The rate is a merchant earn rate set through Terraform (`merchant_earn_rates`), read back from the deployed
worker's environment.

    .venv/bin/python -m bench.bench_rewards [--payments 500] [--rate 4] [--customers 120] [--seed 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import boto3
import requests
from solders.pubkey import Pubkey

from bench import report
from bench import rewards_chain as rc
from bench.bench_saga import DONE, Payer, merchant_session
from bench.chaos import POST_TRIES, _backoff, _proc_argv, _proc_env, dlq_entries, open_loop
from smartpay_payment.testing.local_stack import Emulators
from smartpay_shared.local.processes import ProcessTable
from smartpay_shared.local.stack import deployed_environments
from smartpay_shared.money import CURRENCY_EXPONENTS
from smartpay_shared.testing import EventListener
from smartpay_shared.testing.stack import private_stack

MERCHANT = "m_bench_rewards"
EARN_RATE = "1.5"  # points per major unit, set through Terraform for the bench's merchant
WORKER = "worker-rewards"
REWARD_EVENTS = ("payment.captured", "payment.refunded")
PAYMENTS_TABLE = "smartpay-payments"
POST_TIMEOUT_S = 15.0
# The refund plan of a captured payment: share of payments per kind
PLAN_MIX = (("none", 0.50), ("full", 0.15), ("partial", 0.25), ("partial_then_rest", 0.10))
REPEAT_SHARE = 0.25         # refund calls sent again with the same Idempotency-Key
OVER_REFUND_SHARE = 0.5     # fully refunded payments asked for one more refund (must be refused)
REDELIVER_SHARE = 0.25      # reward events sent into the rewards queue once more
REDELIVER_MAX_DELAY_S = 20


# --- the arithmetic (pure; tests/unit/test_bench_rewards.py) --------------------------------------------
def expected_points(captured: int, refunded: int, currency: str, rate: str) -> tuple[int, int]:
    """(earned, clawed back) for a payment as docs/rewards.md states the rules, written apart from the
    service's domain code: floor(captured major x rate); min(earned, floor(earned x refunded / captured))."""
    earned = int(Fraction(captured) * Fraction(Decimal(rate)) / 10 ** CURRENCY_EXPONENTS[currency])
    clawed = min(earned, earned * max(0, refunded) // captured) if captured > 0 else 0
    return earned, clawed


@dataclass(frozen=True)
class PaymentFacts:
    payment_id: str
    customer_id: str
    currency: str
    status: str
    captured: int
    refunded: int


def expected_ledger(payments: list[PaymentFacts], rate: str) -> tuple[dict[str, tuple[int, int]],
                                                                        dict[str, dict[str, int]]]:
    """Per payment (earned, clawed) for every payment with a captured amount; per customer its totals."""
    per_payment: dict[str, tuple[int, int]] = {}
    per_customer: dict[str, dict[str, int]] = defaultdict(lambda: {"earned": 0, "clawed": 0, "balance": 0, "debt": 0})
    for p in payments:
        if p.captured <= 0:
            continue
        earned, clawed = expected_points(p.captured, p.refunded, p.currency, rate)
        per_payment[p.payment_id] = (earned, clawed)
        c = per_customer[p.customer_id]
        c["earned"] += earned
        c["clawed"] += clawed
        c["balance"] += earned - clawed
    return per_payment, dict(per_customer)


def compare_payments(expected: dict[str, tuple[int, int]], actual: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """Points lost (earn missing, clawback beyond the rule) and doubled (earn beyond, clawback missing), per payment;
    a payment the ledger holds that earned nothing by the payments' account counts its points as doubled."""
    earn_missing = earn_extra = claw_missing = claw_extra = 0
    wrong: list[dict[str, Any]] = []
    for pid in sorted(set(expected) | set(actual)):
        e_earn, e_claw = expected.get(pid, (0, 0))
        a_earn, a_claw = actual.get(pid, (0, 0))
        earn_missing += max(0, e_earn - a_earn)
        earn_extra += max(0, a_earn - e_earn)
        claw_missing += max(0, e_claw - a_claw)
        claw_extra += max(0, a_claw - e_claw)
        if (e_earn, e_claw) != (a_earn, a_claw):
            wrong.append({"payment_id": pid, "expected": [e_earn, e_claw], "ledger": [a_earn, a_claw]})
    return {"points_lost": earn_missing + claw_extra, "points_doubled": earn_extra + claw_missing,
            "earn_missing": earn_missing, "earn_extra": earn_extra, "clawback_missing": claw_missing,
            "clawback_extra": claw_extra, "payments_wrong": len(wrong), "payments_wrong_sample": wrong[:20]}


def compare_customers(expected: dict[str, dict[str, int]], actual: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The customers' statements (GET /rewards) against the expected totals: balance short / over."""
    short = over = 0
    wrong = []
    for cid in sorted(set(expected) | set(actual)):
        e = expected.get(cid, {"earned": 0, "clawed": 0, "balance": 0, "debt": 0})
        a = actual.get(cid, {"earned": 0, "clawed": 0, "balance": 0, "debt": 0})
        short += max(0, e["balance"] - a["balance"])
        over += max(0, a["balance"] - e["balance"])
        if any(e[k] != a[k] for k in ("earned", "clawed", "balance", "debt")):
            wrong.append({"customer_id": cid, "expected": e, "api": a})
    return {"customers": len(set(expected) | set(actual)), "balance_short": short, "balance_over": over,
            "customers_wrong": len(wrong), "customers_wrong_sample": wrong[:20]}


def refund_plan(rng: random.Random, captured: int) -> list[int | None]:
    """The refund amounts to ask for, in order (None: "the rest", as a full refund request is)."""
    kind = rng.choices([k for k, _ in PLAN_MIX], [w for _, w in PLAN_MIX])[0]
    if kind == "none" or captured < 4:
        return []
    if kind == "full":
        return [None]
    parts, left = [], captured - 1
    for _ in range(rng.randint(1, 3) if kind == "partial" else 1):
        amount = rng.randint(1, max(1, left // 2))
        parts.append(amount)
        left -= amount
    return parts + ([None] if kind == "partial_then_rest" else [])


# --- the stack side -------------------------------------------------------------------------------------
class RewardsReader:
    """The rewards tables (payment records and balances) and the payments table, read directly while polling
    for convergence (cheap Scans); the final comparison also reads both through the APIs."""

    def __init__(self, info: dict[str, Any], ledger_table: str, accounts_table: str, payments_table: str):
        self.db = boto3.client("dynamodb", endpoint_url=info["aws_endpoint_url"], region_name=info["region"])
        self.ledger_table, self.accounts_table, self.payments_table = ledger_table, accounts_table, payments_table
        from smartpay_payment.adapters.repository import DynamoPaymentRepository
        self.repo = DynamoPaymentRepository(self.db, payments_table)

    def _scan(self, table: str, **kw: Any) -> list[dict[str, Any]]:
        return rc.scan_all(self.db, table, **kw)

    def payment_facts(self) -> list[PaymentFacts]:
        return [PaymentFacts(s.payment.payment_id, s.payment.customer_id, s.payment.currency,
                             s.payment.state.value.lower(), s.payment.captured_amount or 0, s.payment.refunded_amount)
                for s in self.repo.all() if s.payment.merchant_id == MERCHANT]

    def accounts(self) -> dict[str, dict[str, Any]]:
        """This merchant's accounts (balance, totals, minted), by customer."""
        items = self._scan(self.accounts_table, FilterExpression="sk = :a",
                           ExpressionAttributeValues={":a": {"S": "account"}})
        return {i["customer_id"]: i for i in items if i["merchant_id"] == MERCHANT}

    def entries(self) -> list[dict[str, Any]]:
        return [e for e in self._scan(self.ledger_table) if e["merchant_id"] == MERCHANT]

    def chain_setup(self) -> dict[str, Any] | None:
        found = self.db.get_item(TableName=self.accounts_table, Key={"pk": {"S": "chain"}, "sk": {"S": "setup"}},
                                 ConsistentRead=True).get("Item")
        return {k: next(iter(v.values())) for k, v in found.items()} if found else None

    def pending_refunds(self) -> int:
        return sum(r.status == "pending" for s in self.repo.all() for r in s.payment.refunds)

    def ledger_payments(self) -> dict[str, tuple[int, int]]:
        items = self._scan(self.accounts_table, FilterExpression="sk = :p",
                           ExpressionAttributeValues={":p": {"S": "payment"}})
        return {i["payment_id"]: (int(i["points_earned"]), int(i["points_clawed"]))
                for i in items if i["merchant_id"] == MERCHANT and i.get("captured_amount") is not None}

    def integrity(self) -> dict[str, Any]:
        """Every account's entries against its balance and debt; earn entries per payment (1 at most)."""
        accounts = {i["pk"]: i for i in self._scan(self.accounts_table, FilterExpression="sk = :a",
                                                   ExpressionAttributeValues={":a": {"S": "account"}})}
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        earns: Counter[str] = Counter()
        for e in self._scan(self.ledger_table):
            s = sums[f"{e['merchant_id']}#customer#{e['customer_id']}"]
            s[0] += int(e["points"])
            s[1] += int(e["debt_change"])
            s[2] += 1
            if e["kind"] == "earn":
                earns[e["payment_id"]] += 1
        bad = [pk for pk, a in accounts.items()
               if sums[pk][:2] != [int(a["balance"]), int(a["debt"])] or sums[pk][2] != int(a["seq"])]
        return {"accounts": len(accounts), "entries": sum(s[2] for s in sums.values()),
                "accounts_whose_entries_disagree": len(bad), "sample": bad[:10],
                "payments_with_more_than_one_earn_entry": sum(c > 1 for c in earns.values())}


class Redeliverer:
    """Copies of the reward events, sent into the rewards queue again (at once or up to 20 s later)."""

    def __init__(self, info: dict[str, Any], rewards_queue: str, rng: random.Random):
        kw = {"endpoint_url": info["aws_endpoint_url"], "region_name": info["region"]}
        self.sqs = boto3.client("sqs", **kw)
        self.queue = self.sqs.get_queue_url(QueueName=rewards_queue)["QueueUrl"]
        self.tap = EventListener(boto3.client("events", **kw), boto3.client("sqs", **kw), info["bus_name"],
                                 {"detail-type": list(REWARD_EVENTS)})
        self.rng, self.stop = rng, threading.Event()
        self.seen: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()

    def loop(self) -> None:
        while not self.stop.is_set():
            try:
                got = self.sqs.receive_message(QueueUrl=self.tap.queue_url, MaxNumberOfMessages=10,
                                               WaitTimeSeconds=1).get("Messages", [])
            except self.sqs.exceptions.QueueDoesNotExist:  # the tap is gone: the run is over
                return
            for m in got:
                self.sqs.delete_message(QueueUrl=self.tap.queue_url, ReceiptHandle=m["ReceiptHandle"])
                kind = json.loads(m["Body"]).get("detail-type", "?")
                self.seen[kind] += 1
                if self.rng.random() < REDELIVER_SHARE:
                    delay = 0 if self.rng.random() < 0.5 else self.rng.randint(1, REDELIVER_MAX_DELAY_S)
                    self.sqs.send_message(QueueUrl=self.queue, MessageBody=m["Body"], DelaySeconds=delay)
                    self.sent[kind] += 1


class WorkerKiller:
    """SIGKILL the rewards worker's process group once, start it again `down` s later (bench/chaos.py's way)."""

    def __init__(self, info: dict[str, Any], queue_url: str):
        self.sqs = boto3.client("sqs", endpoint_url=info["aws_endpoint_url"], region_name=info["region"])
        self.queue_url = queue_url
        self.table = ProcessTable(Path(info["state"]))
        managed = self.table.running(WORKER)
        if managed is None:
            raise RuntimeError(f"the stack runs no {WORKER}")
        self.argv, self.env = _proc_argv(managed.pid), _proc_env(managed.pid)
        self.env.pop("SMARTPAY_STACK_PROCESS", None)
        self.record: dict[str, Any] = {}

    def in_flight(self) -> int:
        """Messages of the rewards queue received and not yet deleted (the worker's batch in hand)."""
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url,
                                              AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
        return int(attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"])

    def kill_and_restart(self, down: float, origin: float, catch_s: float = 30.0) -> None:
        """Kill while the worker holds messages (polled every 20 ms for up to `catch_s`; killed anyway after)."""
        managed = self.table.running(WORKER)
        if managed is None:
            self.record = {"error": f"{WORKER} was not running at the kill"}
            return
        until = time.monotonic() + catch_s
        in_flight = self.in_flight()
        while in_flight == 0 and time.monotonic() < until:
            time.sleep(0.02)
            in_flight = self.in_flight()
        os.killpg(managed.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        while self.table.running(WORKER):
            time.sleep(0.05)
        time.sleep(down)
        new = self.table.start(WORKER, self.argv, self.env)
        self.record = {"killed_at_s": round(killed_at - origin, 1), "down_s": round(time.monotonic() - killed_at, 1),
                       "queue_messages_in_flight_at_the_kill": in_flight,
                       "old_pid": managed.pid, "new_pid": new.pid, "signal": "SIGKILL (process group)"}


@dataclass
class Traffic:
    payment_ids: dict[int, str] = field(default_factory=dict)
    post_errors: list[str] = field(default_factory=list)
    refund_calls: Counter = field(default_factory=Counter)          # outcome -> count
    repeats: int = 0
    repeats_same_answer: int = 0
    over_refunds: int = 0
    over_refunds_refused: int = 0
    plans: Counter = field(default_factory=Counter)
    refund_errors: list[str] = field(default_factory=list)
    last_refund_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def refund_payment(session: requests.Session, gateway: str, payment_id: str, plan: list[int | None],
                   rng: random.Random, t: Traffic) -> None:
    full = False
    for amount in plan:
        key = uuid.uuid4().hex
        body = {"reason": "requested_by_customer", **({"amount": amount} if amount is not None else {})}
        answers = []
        for _ in range(2 if rng.random() < REPEAT_SHARE else 1):
            try:
                r = session.post(f"{gateway}/payments/{payment_id}/refund", json=body, timeout=POST_TIMEOUT_S,
                                 headers={"Idempotency-Key": key})
                answers.append((r.status_code, r.json().get("refund") if r.status_code in (200, 202) else None))
            except requests.RequestException as e:
                answers.append((None, None))
                with t.lock:
                    t.refund_errors.append(f"{payment_id}: {e}"[:200])
        with t.lock:
            t.refund_calls[str(answers[0][0])] += 1
            if len(answers) == 2:
                t.repeats += 1
                t.repeats_same_answer += answers[0] == answers[1]
            t.last_refund_at = time.monotonic()
        full = full or amount is None
        time.sleep(rng.uniform(0.0, 0.5))
    if full and rng.random() < OVER_REFUND_SHARE:
        r = session.post(f"{gateway}/payments/{payment_id}/refund", json={"amount": 1}, timeout=POST_TIMEOUT_S,
                         headers={"Idempotency-Key": uuid.uuid4().hex})
        with t.lock:
            t.over_refunds += 1
            t.over_refunds_refused += r.status_code == 422
            t.last_refund_at = time.monotonic()


class ChainSide:
    """The chain half of the run (bench/rewards_chain.py): set up before the traffic (the chain read at the
    start, the linker, the minter's killer), measured after the ledger agreed."""

    def __init__(self, info: dict[str, Any], minter_env: dict[str, str], reader: RewardsReader,
                 session: requests.Session, gateway: str, linker: rc.Linker):
        self.info, self.minter_env, self.reader, self.session, self.gateway = info, minter_env, reader, session, gateway
        self.linker = linker
        setup = reader.chain_setup()
        if setup is None:
            raise RuntimeError("the stack's ledger holds no chain setup (`smartpay rewards chain-setup` did not run)")
        self.setup = setup
        self.chain = rc.ChainReader(minter_env["REWARDS_SOLANA_RPC_URL"], setup["mint"])
        self.journal = rc.Journal(info, minter_env["REWARDS_MINT_JOURNAL_TABLE"])
        self.minter_killer = rc.MinterKiller(Path(info["state"]), self.journal,
                                             rc.MintLease(info, reader.accounts_table))
        self.fee_payer = self._fee_payer()
        self.at_start = {"supply": self.chain.supply(), "pool_tokens": self.chain.tokens(setup["pool_authority"]),
                         "fee_payer_lamports": self.chain.lamports(self.fee_payer),
                         "journal_batches": len(self.journal.items())}

    def _fee_payer(self) -> str:
        """The fee payer's public key (the `public_key` of its secret in the stack's Secrets Manager; the
        secret part is not kept): its balance is measured against the fees the minter and the pool account."""
        sm = boto3.client("secretsmanager", endpoint_url=self.info["aws_endpoint_url"], region_name=self.info["region"])
        value = sm.get_secret_value(SecretId=self.minter_env["REWARDS_FEE_PAYER_SECRET_ID"])["SecretString"]
        return json.loads(value)["public_key"]

    def _statement(self, customer: str) -> dict[str, Any]:
        r = self.session.get(f"{self.gateway}/rewards/{customer}", params={"limit": 1}, timeout=30)
        r.raise_for_status()
        return r.json()

    def compare(self, expected: dict[str, dict[str, int]], redeemed: dict[str, int],
                through_api: bool) -> dict[str, Any]:
        """The chain now (read by the bench) against the payments and the ledger (its tables while polling,
        `GET /rewards` for the figures reported)."""
        accounts = self.reader.accounts()
        peaks = rc.peak_entitlements(self.reader.entries())
        rows = []
        for customer, wallet in sorted(self.wallets().items()):
            if through_api:
                totals = self._statement(customer)["totals"]
                minted, ledger_redeemed = totals["minted"], totals["redeemed"]
            else:
                a = accounts.get(customer, {})
                minted, ledger_redeemed = int(a.get("minted", 0)), int(a.get("redeemed", 0))
            rows.append(rc.WalletFacts(customer, wallet, expected.get(customer, {}).get("balance", 0),
                                       peaks.get(customer, 0), redeemed.get(customer, 0), minted, ledger_redeemed,
                                       self.chain.tokens(wallet)))
        found = rc.compare_chain(rows, supply=self.chain.supply(),
                                 pool_tokens=self.chain.tokens(self.setup["pool_authority"]),
                                 pool_seed=int(self.setup["pool_seed_points"]),
                                 ledger_minted_total=sum(int(a.get("minted", 0)) for a in accounts.values()))
        found["journal_pending"] = len(self.journal.items(pending_only=True))
        return found

    def wallets(self) -> dict[str, str]:
        links = self.linker.links
        return {c: str(links.wallets[c].pubkey()) for c in links.linked_at_s}

    def snapshot(self, customer: str) -> dict[str, int]:
        wallet = self.wallets()[customer]
        totals = self._statement(customer)
        return {"tokens": self.chain.tokens(wallet), "pool_tokens": self.chain.tokens(self.setup["pool_authority"]),
                "lamports": self.chain.lamports(wallet), "ledger_balance": totals["balance"],
                "ledger_redeemed": totals["totals"]["redeemed"]}

    def redeem(self, customer: str, points: int, approve: int | None) -> dict[str, Any]:
        """The customer approves the pool authority for `approve` points (its own transaction; None: no new
        approval), then asks POST /rewards/{id}/redeem; both sides are measured around the call."""
        keypair = self.linker.links.wallets[customer]
        if approve is not None:
            if self.chain.lamports(keypair.pubkey()) == 0:
                self.chain.airdrop(keypair.pubkey(), rc.WALLET_AIRDROP)
            self.chain.approve(keypair, Pubkey.from_string(self.setup["pool_authority"]), approve)
        delegated = self.chain.delegated(keypair.pubkey())
        before = self.snapshot(customer)
        r = self.session.post(f"{self.gateway}/rewards/{customer}/redeem",
                              json={"points": points, "asset": "SOL", "slippage_bps": 200}, timeout=120)
        answer = r.json() if r.headers.get("Content-Type", "").startswith("application/") else {}
        after = self.snapshot(customer)
        return {"customer_id": customer, "points": points, "approved": approve, "delegated_before": delegated,
                "http": r.status_code, "status": answer.get("status"), "reason": answer.get("reason"),
                "amount_out": answer.get("amount_out"), "min_out": answer.get("min_out"),
                "fee_lamports": answer.get("fee_lamports") or 0, "before": before, "after": after,
                "problems": rc.redemption_problems({**answer, "points": points}, before, after)
                if r.status_code == 200 else [f"HTTP {r.status_code}: {r.text[:200]}"]}

    def measure(self, facts: list[PaymentFacts], rate: str, wait_s: float, origin: float) -> dict[str, Any]:
        self.linker.finish({f.customer_id for f in facts if f.captured > 0}, origin)
        _, expected = expected_ledger(facts, rate)
        # Converge: every linked wallet holds what the payments entitle it to, as the ledger says, nothing pending.
        converged_at, last = None, None
        until = time.monotonic() + wait_s
        while time.monotonic() < until:
            last = self.compare(expected, {}, through_api=False)
            if rc.chain_agrees(last) and last["journal_pending"] == 0:
                converged_at = time.monotonic()
                break
            time.sleep(3.0)
        before = self.compare(expected, {}, through_api=True)
        reconcile_before = rc.reconcile_cli(self.info, self.minter_env)

        # Redemptions through the pool: the customers with the most points on both sides, then one refused.
        redeemed: dict[str, int] = defaultdict(int)
        redemptions = []
        holders = sorted(((min(self._statement(c)["balance"], self.chain.tokens(w)), c)
                          for c, w in self.wallets().items()), reverse=True)
        for available, customer in holders[:rc.REDEEMERS]:
            if available < 2:
                break
            points = min(available // 2, 50)
            done = self.redeem(customer, points, approve=points)
            redemptions.append(done)
            if done["status"] == "settled":
                redeemed[customer] += points
        if redemptions:  # the approval is used up: one point more is refused on chain and given back
            refused = self.redeem(redemptions[0]["customer_id"], 1, approve=None)
            refused["expected"] = "refused (rejected): beyond the approval"
            if refused["status"] == "refused" and refused["reason"] != "rejected":
                refused["problems"].append(f"refused for {refused['reason']!r}, not 'rejected'")
            redemptions.append(refused)
        after = self.compare(expected, redeemed, through_api=True)
        reconcile_after = rc.reconcile_cli(self.info, self.minter_env)

        links = self.linker.links
        linked_at = sorted(links.linked_at_s.values())
        kill = dict(self.minter_killer.record)
        kill["left_batches_outcome"] = self.minter_killer.outcome_of_left_batches()
        journal = rc.journal_figures(self.journal.items())
        log = self.minter_killer.table.logs / f"{rc.MINTER}.log"
        with log.open(errors="replace") as lines:
            runs = rc.minter_log_figures(lines)
        spent = self.at_start["fee_payer_lamports"] - self.chain.lamports(self.fee_payer)
        redemption_fees = sum(r["fee_lamports"] for r in redemptions)
        return {
            "in_scope": True, "mint": self.setup["mint"], "refund_mode": self.setup.get("refund_mode", "offset"),
            "pool_seed_points": int(self.setup["pool_seed_points"]), "at_start": self.at_start,
            "links": {"customers_chosen": len(links.wallets), "linked": len(links.linked_at_s),
                      "chosen_without_rewards": sum(c not in {f.customer_id for f in facts if f.captured > 0}
                                                    for c in links.wallets),
                      "challenges_answered_404_before_rewards": links.not_yet, "errors": len(links.errors),
                      "error_sample": links.errors[:5],
                      "linked_at_s": {"first": linked_at[0], "median": linked_at[len(linked_at) // 2],
                                      "last": linked_at[-1]} if linked_at else None,
                      "linked_before_the_minter_kill": sum(a < kill.get("killed_at_s", 0) for a in linked_at)},
            "minter_kill": kill, "minter_runs": runs, "journal": journal,
            "converged": converged_at is not None, "converged_at": converged_at,
            "last_poll_before_giving_up": None if converged_at else last,
            "before_redemptions": before, "reconcile_before_redemptions": reconcile_before,
            "redemptions": redemptions,
            "after_redemptions": after, "reconcile_after_redemptions": reconcile_after,
            "fees": {"fee_payer_spent_lamports": spent, "journal_fee_lamports": journal["fee_lamports"],
                     "journal_rent_lamports": journal["rent_lamports"], "redemption_fee_lamports": redemption_fees,
                     "unexplained_lamports": spent - journal["fee_lamports"] - journal["rent_lamports"]
                     - redemption_fees},
        }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    state = Path(tempfile.mkdtemp(prefix="smartpay-bench-rewards-"))
    started = time.monotonic()
    load_start = os.getloadavg()[0]
    tf = {"rewards": {"merchant_earn_rates": {MERCHANT: EARN_RATE}}}
    with private_stack(state, terraform_variables=tf) as info:
        gateway = info["gateway_url"]
        deployed = deployed_environments(info["terraform_outputs"], info["aws_endpoint_url"], info["region"])
        worker_env = deployed["rewards"]["worker"]
        rate = json.loads(worker_env.get("REWARDS_MERCHANT_EARN_RATES", "{}")).get(
            MERCHANT, worker_env.get("REWARDS_DEFAULT_EARN_RATE", "1"))
        reader = RewardsReader(info, worker_env["REWARDS_LEDGER_TABLE"], worker_env["REWARDS_ACCOUNTS_TABLE"],
                               deployed["payment"]["worker"].get("PAYMENT_PAYMENTS_TABLE", PAYMENTS_TABLE))
        queue_name = info["terraform_outputs"]["services"]["rewards"]["queue_name"]
        session = merchant_session(MERCHANT, info)
        payer = Payer(gateway, session, Emulators.of(info), gateways=tuple(args.gateways.split(",")), seed=args.seed)
        run = uuid.uuid4().hex[:6]
        customers = [f"cus_rw{run}_{j:03d}" for j in range(args.customers)]
        bodies = []
        for _ in range(args.payments):
            _, body = payer.body()
            customer = rng.choice(customers)
            body.update(customer_id=customer, device_id=f"dev_{customer}")
            bodies.append(body)
        print(f"stack up in {info['up_seconds']} s; rate {rate} points per major unit; {len(bodies)} payments "
              f"for {args.customers} customers", flush=True)

        redeliver = Redeliverer(info, queue_name, random.Random(args.seed + 1))
        killer = WorkerKiller(info, redeliver.queue)
        processes = [m.name for m in killer.table.all_running()]
        chain_side = ChainSide(info, deployed["rewards"]["minter"], reader, session, gateway,
                               rc.Linker(session, gateway, customers, random.Random(args.seed + 3)))
        t = Traffic()
        refund_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="refund")
        planned: set[str] = set()
        refund_futures = []
        plan_rng = random.Random(args.seed + 2)
        linker = chain_side.linker

        def send(i: int) -> None:
            key = uuid.uuid4().hex
            for attempt in range(POST_TRIES):
                try:
                    pid, _ = payer.post(bodies[i], key=key, timeout=POST_TIMEOUT_S)
                    with t.lock:
                        t.payment_ids[i] = pid
                    return
                except (requests.RequestException, RuntimeError) as e:
                    with t.lock:
                        t.post_errors.append(str(e)[:200])
                    time.sleep(_backoff(attempt))

        def plan_refunds() -> int:
            """Start the refund plan of every payment that completed; how many records are not terminal."""
            open_ = 0
            for f in reader.payment_facts():
                pid, status, captured = f.payment_id, f.status, f.captured
                if captured > 0:
                    linker.offer(f.customer_id, origin)  # once per chosen customer, when it has rewards
                if status not in DONE:
                    open_ += 1
                elif status == "indexed" and pid not in planned:
                    planned.add(pid)
                    plan = refund_plan(plan_rng, captured)
                    t.plans[("none" if not plan else "full" if plan == [None] else
                             "partial_then_rest" if plan[-1] is None else "partial")] += 1
                    if plan:
                        refund_futures.append(refund_pool.submit(
                            refund_payment, session, gateway, pid, plan, random.Random(plan_rng.random()), t))
            return open_

        with redeliver.tap:
            tap_thread = threading.Thread(target=redeliver.loop, daemon=True)
            tap_thread.start()
            origin = time.monotonic()
            kill_at = args.payments / args.rate * args.kill_at
            kill_thread = threading.Timer(kill_at, killer.kill_and_restart, (args.down, origin))
            kill_thread.start()
            minter_kill_thread = threading.Timer(args.payments / args.rate * args.minter_kill_at,
                                                 chain_side.minter_killer.kill_and_restart, (args.down, origin))
            minter_kill_thread.start()
            sender = ThreadPoolExecutor(max_workers=32, thread_name_prefix="pay")
            done_sending = threading.Event()

            def dispatch() -> None:
                try:
                    open_loop(send, args.rate, len(bodies), sender.submit)
                    sender.shutdown(wait=True)
                finally:
                    done_sending.set()

            threading.Thread(target=dispatch, daemon=True).start()
            deadline = time.monotonic() + args.payments / args.rate + args.wait
            while time.monotonic() < deadline:
                open_ = plan_refunds()
                if done_sending.is_set() and open_ == 0 and plan_refunds() == 0:
                    break
                time.sleep(1.5)
            kill_thread.join()
            refund_pool.shutdown(wait=True)
            for f in refund_futures:
                f.result()
            traffic_end = time.monotonic()
            send_seconds = traffic_end - origin
            print(f"traffic done at {traffic_end - origin:.0f} s: {len(t.payment_ids)} payments answered, "
                  f"{sum(t.refund_calls.values())} refund calls; waiting for the ledger", flush=True)

            # Converge: the ledger's payment records equal the rules applied to the payment records.
            converged_at, last = None, None
            wait_until = time.monotonic() + args.wait
            while time.monotonic() < wait_until:
                if reader.pending_refunds() == 0:
                    expected, _ = expected_ledger(reader.payment_facts(), rate)
                    last = compare_payments(expected, reader.ledger_payments())
                    if last["payments_wrong"] == 0:
                        converged_at = time.monotonic()
                        break
                time.sleep(2.0)
            # Redeliveries still due (delayed up to 20 s) land on a converged ledger: give them time, then read.
            time.sleep(REDELIVER_MAX_DELAY_S + 5)
            redeliver.stop.set()
            tap_thread.join(timeout=10)

        # The final comparison, both sides through their APIs (the payment service's report, GET /rewards).
        facts = []
        for f in reader.payment_facts():
            view = session.get(f"{gateway}/payments/{f.payment_id}", timeout=30).json()
            facts.append(PaymentFacts(view["payment_id"], view["customer_id"], view["currency"], view["status"],
                                      view.get("captured_amount") or 0, view.get("refunded_amount") or 0))
        expected_payments, expected_customers = expected_ledger(facts, rate)
        per_payment = compare_payments(expected_payments, reader.ledger_payments())
        statements: dict[str, dict[str, int]] = {}
        api_status: Counter[str] = Counter()
        for cid in sorted({f.customer_id for f in facts}):
            r = session.get(f"{gateway}/rewards/{cid}", timeout=30)
            api_status[str(r.status_code)] += 1
            if r.status_code == 200:
                b = r.json()
                statements[cid] = {"earned": b["totals"]["earned"], "clawed": b["totals"]["clawed_back"],
                                   "balance": b["balance"], "debt": b["debt"]}
        per_customer = compare_customers(expected_customers, statements)
        integrity = reader.integrity()
        dlq = dlq_entries(info)
        ledger_done = time.monotonic()
        minter_kill_thread.join()
        try:
            chain = chain_side.measure(facts, rate, args.chain_wait, origin)
        except Exception as e:  # the ledger's figures are kept; the chain's verdict is "cannot judge"
            traceback.print_exc()
            chain = {"in_scope": True, "error": f"{type(e).__name__}: {e}"[:500]}
        chain["chain_converge_s_after_the_ledger"] = (round(chain.pop("converged_at") - ledger_done, 1)
                                                      if chain.get("converged_at") else None)
        gone = [n for n in processes if killer.table.running(n) is None]  # a stack process that died on its own
        return {
            "payments": {"asked": args.payments, "answered": len(t.payment_ids), "post_errors": len(t.post_errors),
                         "post_error_sample": t.post_errors[:5], "rate_asked_per_s": args.rate,
                         "customers": args.customers, "gateways": args.gateways.split(","),
                         "by_status": dict(Counter(f.status for f in facts)),
                         "captured": sum(f.captured > 0 for f in facts),
                         "captured_minor_total": sum(f.captured for f in facts),
                         "refunded_minor_total": sum(f.refunded for f in facts)},
            "refunds": {"plans": dict(t.plans), "calls_by_status": dict(t.refund_calls),
                        "repeated_same_key": t.repeats, "repeated_same_answer": t.repeats_same_answer,
                        "over_refund_asked": t.over_refunds, "over_refund_refused": t.over_refunds_refused,
                        "errors": len(t.refund_errors), "error_sample": t.refund_errors[:5]},
            "redelivered": {"events_seen_on_the_bus": dict(redeliver.seen), "sent_again": dict(redeliver.sent)},
            "worker_kill": killer.record,
            "earn_rate": rate,
            "expected": {"earned": sum(e for e, _ in expected_payments.values()),
                         "clawed": sum(c for _, c in expected_payments.values()),
                         "balance": sum(c["balance"] for c in expected_customers.values())},
            "per_payment": per_payment, "per_customer_api": per_customer, "api_status": dict(api_status),
            "ledger_integrity": integrity,
            "converged": converged_at is not None,
            "converge_s_after_traffic": round(converged_at - traffic_end, 1) if converged_at else None,
            "last_poll_before_giving_up": None if converged_at else last,
            "traffic_s": round(send_seconds, 1),
            "dlq": {"entries": len(dlq), "rewards": [d for d in dlq if d["queue"] == "rewards"][:20],
                    "by_queue": dict(Counter(d["queue"] for d in dlq)),
                    "other_sample": [d for d in dlq if d["queue"] != "rewards"][:10]},
            "chain": chain,
            "stack_processes_not_running_at_the_end": gone,
            "stack_up_seconds": info["up_seconds"], "total_seconds": round(time.monotonic() - started, 1),
            "load_1m": {"start": load_start, "end": os.getloadavg()[0]}, "seed": args.seed,
        }


MIN_CAPTURED_SHARE = 0.8


def ledger_validity(r: dict[str, Any]) -> list[str]:
    """Why the run cannot judge the ledger (empty: it can): too few payments captured, no refund made."""
    p, rf = r["payments"], r["refunds"]
    why = []
    if p["captured"] < MIN_CAPTURED_SHARE * p["asked"]:
        why.append(f"only {p['captured']} of {p['asked']} payments captured (statuses {p['by_status']})")
    if not rf["calls_by_status"].get("200"):
        why.append("no refund succeeded")
    if r.get("stack_processes_not_running_at_the_end"):
        why.append(f"stack processes died during the run: {r['stack_processes_not_running_at_the_end']}")
    return why


def validity(r: dict[str, Any]) -> list[str]:
    """Why the run cannot judge the target (empty: it can): the ledger's reasons and the chain's."""
    return ledger_validity(r) + rc.chain_validity(r["chain"])


def ledger_met(r: dict[str, Any]) -> bool:
    p, c, i = r["per_payment"], r["per_customer_api"], r["ledger_integrity"]
    return (not ledger_validity(r) and r["converged"] and p["points_lost"] == 0 and p["points_doubled"] == 0
            and c["customers_wrong"] == 0
            and i["accounts_whose_entries_disagree"] == 0 and i["payments_with_more_than_one_earn_entry"] == 0
            and not r["dlq"]["rewards"])


def met(r: dict[str, Any]) -> bool:
    """Issue #20's target: the ledger agrees with the payments AND the chain with the ledger and the payments."""
    return ledger_met(r) and rc.chain_met(r["chain"])


def _counts(counts: dict[str, int]) -> str:
    """{"partial_then_rest": 9, "full": 16} -> "16 full, 9 partial then rest"."""
    return ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def section(r: dict[str, Any]) -> str:
    p, rf, pp, pc, i = r["payments"], r["refunds"], r["per_payment"], r["per_customer_api"], r["ledger_integrity"]
    k, e = r["worker_kill"], r["expected"]
    why = ledger_validity(r)
    answers = ", ".join(f"{n} x HTTP {c}" for c, n in sorted(rf["calls_by_status"].items()))
    invalid = f" (the run cannot judge it: {'; '.join(why)})" if why else ""
    chain_why = rc.chain_validity(r["chain"])
    chain_invalid = f" (the run cannot judge it: {'; '.join(chain_why)})" if chain_why else ""
    dlq_all = f"{r['dlq']['entries']}: {_counts(r['dlq']['by_queue'])}" if r["dlq"]["entries"] else "0"
    return f"""## Rewards: the points ledger and the chain under chaos (rewards)

On a private local stack (moto, Terraform, every worker, the gateway, the emulators, its own Redis):
{p['asked']} payments through `POST /pay` at {p['rate_asked_per_s']:g}/s offered (the real sagas; gateways
{", ".join(p['gateways'])}), spread over {p['customers']} customers, then refunds through
`POST /payments/{{id}}/refund` as payments complete (refund plans: {_counts(rf['plans'])}; answers:
{answers}); {rf['repeated_same_key']} refund calls sent twice with the same Idempotency-Key
({rf['repeated_same_answer']} answered the same), {rf['over_refund_asked']} refunds asked beyond a full refund
({rf['over_refund_refused']} refused). {sum(r['redelivered']['sent_again'].values())} reward events sent into the
rewards queue again ({_counts(r['redelivered']['sent_again'])}; some at once, some up to {REDELIVER_MAX_DELAY_S} s
later). The rewards worker SIGKILLed at {k.get('killed_at_s')} s, when it held
{k.get('queue_messages_in_flight_at_the_kill')} messages of its queue (received, not deleted), and restarted
{k.get('down_s')} s later.
Earn rate {r['earn_rate']} points per major unit (Terraform `merchant_earn_rates`). `python -m bench rewards`.

Expected, from the payments as `GET /payments/{{id}}` reports them ({p['captured']} with a captured amount;
statuses: {_counts(p['by_status'])}): per payment floor(captured major x rate) earned and
min(earned, floor(earned x refunded / captured)) clawed back (docs/rewards.md), written apart from the
service's code. Compared with the service's per-payment records and every customer's `GET /rewards/{{id}}`.

| figure | value |
|---|---|
| points expected: earned / clawed back / balance | {e['earned']} / {e['clawed']} / {e['balance']} |
| **points lost** (earn missing + clawback beyond the rule) | **{pp['points_lost']}** |
| **points doubled** (earn beyond the rule + clawback missing) | **{pp['points_doubled']}** |
| payments whose record disagrees | {pp['payments_wrong']} |
| customers whose `GET /rewards` disagrees (of {pc['customers']}) | {pc['customers_wrong']} \
(balance short {pc['balance_short']}, over {pc['balance_over']}) |
| accounts whose entries do not sum to the balance (of {i['accounts']}) | {i['accounts_whose_entries_disagree']} |
| payments with more than one earn entry | {i['payments_with_more_than_one_earn_entry']} |
| rewards DLQ entries (all DLQs) | {len(r['dlq']['rewards'])} ({dlq_all}) |
| ledger converged after the last refund answer | {r['converge_s_after_traffic']} s |
| traffic (sending, sagas, refunds) | {r['traffic_s']} s |


{chain_section(r['chain'])}
Target (issue #20: ledger and chain agree after the chaos run, 0 points lost or doubled):
**{"met" if met(r) else "missed"}**: the ledger {"agrees" if ledger_met(r) else "does not agree"}{invalid}; the chain
{"agrees" if rc.chain_met(r['chain']) else "does not agree"}{chain_invalid}.
"""


def _moved(d: dict[str, Any]) -> str:
    b, a = d["before"], d["after"]
    return (f"wallet {a['tokens'] - b['tokens']:+d} points, {a['lamports'] - b['lamports']:+d} lamports; pool "
            f"{a['pool_tokens'] - b['pool_tokens']:+d} points; ledger balance "
            f"{a['ledger_balance'] - b['ledger_balance']:+d}"
            + (f" ({'; '.join(d['problems'])})" if d["problems"] else ": as answered"))


def chain_section(c: dict[str, Any]) -> str:
    if "error" in c:
        return f"### On chain (ledger and chain agree)\n\nThe chain measurement failed: {c['error']}\n"
    links, k, j, runs, fees = c["links"], c["minter_kill"], c["journal"], c["minter_runs"], c["fees"]
    b, a = c["before_redemptions"], c["after_redemptions"]
    rb, ra = c["reconcile_before_redemptions"], c["reconcile_after_redemptions"]
    at = links["linked_at_s"] or {}
    left = k.get("pending_batches_left_by_the_kill", [])
    lease = k.get("lease_at_the_kill") or {}
    outcome = k.get("left_batches_outcome", {})
    left_text = (f"{len(left)} batch{'es' if len(left) != 1 else ''} pending in the mint journal "
                 f"({sum(x['points'] for x in left)} points for {sum(x['orders'] for x in left)} wallets; its "
                 f"outcome in the journal after the restart: {', '.join(outcome.values()) or 'none'})"
                 if left else "no batch pending")

    def rec(x: dict[str, Any]) -> str:
        return (f"{'ok' if x['ok'] else 'MISMATCH'} ({x.get('wallets_checked')} wallets, supply "
                f"{x.get('on_chain_supply')} / {x.get('expected_supply')}, {x.get('mismatches')} mismatches)")

    def row(label: str, f) -> str:
        return f"| {label} | {f(b)} | {f(a)} |"

    rows = "\n".join([
        row("linked wallets' points on chain (at least, entitled by the payments)",
            lambda x: f"{x['points_on_chain']} (>= {x['points_expected_on_chain_at_least']})"),
        row("**points lost on chain** (a wallet below its entitlement)", lambda x: f"**{x['points_lost']}**"),
        row("**points doubled on chain** (a wallet above its highest entitlement, or tokens outside the known "
            "holders)", lambda x: f"**{x['points_doubled']}**"),
        row("points clawed back after they were minted (left in the wallets, offset by the ledger)",
            lambda x: x["offset_points"]),
        row("wallets whose tokens differ from the ledger's minted - redeemed",
            lambda x: f"{x['ledger_vs_chain']['wallets_disagree']} of {x['wallets']}"),
        row("mint supply on chain / the ledger's (pool seed + minted)",
            lambda x: f"{x['supply']['on_chain']} / {x['supply']['ledger_expected']}"),
        row("tokens outside the linked wallets and the pool", lambda x: x["supply"]["outside_known_holders"]),
        row("pool's points on chain / expected (seed + redeemed)", lambda x: f"{x['pool']['on_chain']} / "
            f"{x['pool']['expected']}"),
        row("mint batches still pending in the journal", lambda x: x["journal_pending"]),
        f"| `smartpay rewards reconcile --json` (the service's own) | {rec(rb)} | {rec(ra)} |",
    ])
    redemptions = "\n".join(
        f"| {d['customer_id']} | {d['points']} | {d['approved'] if d['approved'] is not None else 'none left'} | "
        f"HTTP {d['http']} {d['status']}{' (' + d['reason'] + ')' if d.get('reason') else ''} | "
        f"{d['amount_out'] if d['status'] == 'settled' else '-'} | {_moved(d)} |" for d in c["redemptions"])
    failed = (f"; failed batches' reasons: {j['failed_reasons']} (a batch refused by the cluster is split in "
              f"halves, each signed again: nothing of it was on chain)" if j["failed_reasons"] else "")
    converge = (f"{c['chain_converge_s_after_the_ledger']} s after the ledger's final comparison"
                if c["converged"] else "**not within the wait**")
    return f"""### On chain (ledger and chain agree)

{links['linked']} of {links['customers_chosen']} customers chosen ({links.get('chosen_without_rewards')} of them never
had a captured payment, so no rewards to link) linked a Solana wallet through the API
(`POST /rewards/{{id}}/wallet/challenge`, the message signed by the wallet's key, `POST /rewards/{{id}}/wallet`;
first at {at.get('first')} s, median {at.get('median')} s, last {at.get('last')} s into the traffic,
{links['linked_before_the_minter_kill']} before the minter's kill) while the stack's minter
(`smartpay rewards mint --loop --interval 3`, the scheduled function's local stand-in) minted their points.
The minter was SIGKILLed at {k.get('killed_at_s')} s with {left_text}, and restarted {k.get('down_s')} s
later. The dead run's lease (never released; it expired {lease.get('expires_in_s')} s after the kill, 60 s after
the run's last pending batch) was taken over by the restarted minter {k.get('lease_taken_over_s_after_the_kill')} s
after the kill ({k.get('locked_runs_after_restart')} runs locked out before); that run recovered the batch and
minted what was owed meanwhile, ending {k.get('first_run_after_restart_ended_s')} s after the restart.
Refund mode `{c['refund_mode']}`: points clawed back after they were minted stay in the wallet, and the ledger
offsets them against later earnings (docs/rewards-chain.md).

The chain agreed {converge}. Read by the bench itself (each linked wallet's associated token account, the
pool's, the mint's supply, over JSON-RPC, with layouts written apart from the service's chain code) and
compared with the payments (a wallet must hold at least what the payments entitle it to, and at most the
highest entitlement its ledger entries reached: more is a double mint) and with the ledger:

| figure | before the redemptions | after them |
|---|---|---|
{rows}

Mint journal: {j['batches']} batches ({_counts(j['by_status'])}), {j['minted_points']} points minted in
{j['orders_minted']} orders; {j['split_batches']} split, {j['retried_batches']} retried{failed}. The minter's runs
(its log): {_counts(runs['runs'])}; {runs.get('recovered', 0)} batches recovered from the journal,
{runs.get('failed_batches', 0)} failed batches, {runs['tracebacks']} tracebacks. Fees: the fee payer's balance
fell by {fees['fee_payer_spent_lamports']:,} lamports; the journal accounts {fees['journal_fee_lamports']:,} in
fees and {fees['journal_rent_lamports']:,} in token-account rent, the redemptions {fees['redemption_fee_lamports']:,};
unexplained: {fees['unexplained_lamports']:,}.

Redemptions through the pool (the customer approves the pool authority as delegate, its own transaction; then
`POST /rewards/{{id}}/redeem`, SOL out; the last asks one point beyond the approval):

| customer | points | approved | answer | lamports out | what moved, measured |
|---|---|---|---|---|---|
{redemptions}
"""


def run(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(prog="bench.bench_rewards", description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=500)
    parser.add_argument("--rate", type=float, default=4.0, help="payments offered per second (open loop)")
    parser.add_argument("--customers", type=int, default=120)
    parser.add_argument("--gateways", default="stripe,amazon_pay,solana")
    parser.add_argument("--kill-at", type=float, default=0.4, help="share of the sending time at the kill")
    parser.add_argument("--down", type=float, default=3.0, help="seconds the killed worker stays down")
    parser.add_argument("--wait", type=float, default=180.0, help="seconds to wait for sagas, then for the ledger")
    parser.add_argument("--minter-kill-at", type=float, default=0.6,
                        help="share of the sending time at the minter's kill")
    parser.add_argument("--chain-wait", type=float, default=240.0,
                        help="seconds to wait for the chain to agree after the ledger did")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="a smoke run: print, write nothing")
    args = parser.parse_args(argv or [])
    r = measure(args)
    r["run_invalid_because"] = validity(r)
    r["target_met"] = met(r)
    text = section(r)
    print(text)
    if not args.no_write:
        print(f"wrote {report.write('rewards', r, text)}")
    else:
        print(json.dumps(r, indent=2, default=str)[:6000])
    return r["target_met"]


if __name__ == "__main__":
    sys.exit(0 if run(sys.argv[1:]) else 1)
