"""The on-chain half of the rewards chaos benchmark (bench/bench_rewards.py): wallets linked through the API,
the minter SIGKILLed while a batch is pending, the chain read by the bench itself, redemptions through the pool.

What the chain should hold is derived here apart from the rewards service's chain code, from the payments
(`bench_rewards.expected_ledger`: entitled = earned - clawed back per customer) and from the bench's own
reads of the chain (JSON-RPC getAccountInfo against the stack's Solana sandbox; associated token addresses
and the SPL account layouts written here, not imported). The service's own reconciliation
(`smartpay rewards reconcile --json`) is run as well, and both must agree.

Per linked wallet, after the minter caught up (docs/rewards-chain.md, refund mode `offset`):
- at least `entitled - redeemed` (every point the payments entitle the customer to is on chain, less what the
  bench saw it redeem); less is points **lost** on chain;
- at most `peak - redeemed`, where `peak` is the highest entitlement the customer's ledger entries reached in
  their order: points minted, then clawed back by a refund, stay in the wallet (the platform cannot take them
  back; the ledger offsets them against later earnings), but a correct minter never mints more than the
  customer was entitled to at some moment; more is points **doubled** on chain;
- exactly `minted - redeemed` as the ledger says (`GET /rewards`: totals.minted, totals.redeemed);
and the mint's supply equals the pool's seed plus everything the ledger minted, and the tokens the linked
wallets and the pool hold (nothing minted to an account nobody knows)."""

from __future__ import annotations

import base64
import json
import os
import random
import re
import signal
import struct
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from bench.chaos import _proc_argv, _proc_env
from smartpay_shared.local.processes import ProcessTable
from smartpay_shared.testing.stack import SMARTPAY, stack_env

MINTER = "rewards-minter"        # the stack's `smartpay rewards mint --loop` (rewards manifest local_processes)
LINK_SHARE = 0.5                 # customers who link a wallet
LINK_TIMEOUT_S = 180.0           # after the traffic: how long the customers still 404 are offered again
REDEEMERS = 3                    # settled redemptions asked (plus one refused)
ATA_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
WALLET_AIRDROP = 10**8           # lamports for the customer's own approve transaction


# --- the arithmetic (pure; tests/unit/test_bench_rewards_chain.py) ---------------------------------------
def peak_entitlements(entries: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Per customer, the highest entitlement (earned - clawed back) its ledger entries reached, in seq order:
    earn and offer_bonus add their points, clawback its (negative) points, debt the part of a clawback the
    balance could not cover (debt_change); the other kinds (debt repayment, redemptions, chain markers) leave it
    alone."""
    by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        by_customer[e["customer_id"]].append(e)
    peaks = {}
    for customer, found in by_customer.items():
        entitled = peak = 0
        for e in sorted(found, key=lambda e: int(e["seq"])):
            if e["kind"] in ("earn", "offer_bonus", "clawback"):
                entitled += int(e["points"])
            elif e["kind"] == "debt":
                entitled -= int(e["debt_change"])
            peak = max(peak, entitled)
        peaks[customer] = peak
    return peaks


@dataclass(frozen=True)
class WalletFacts:
    customer_id: str
    wallet: str
    entitled: int         # earned - clawed back, from the payments (bench_rewards.expected_ledger)
    peak: int             # the highest entitlement reached (peak_entitlements over the ledger's entries)
    redeemed: int         # points the bench saw leave the wallet in settled redemptions
    ledger_minted: int    # the ledger's totals.minted
    ledger_redeemed: int  # the ledger's totals.redeemed
    on_chain: int         # the wallet's token account as the bench read it


def compare_chain(wallets: list[WalletFacts], *, supply: int, pool_tokens: int, pool_seed: int,
                  ledger_minted_total: int) -> dict[str, Any]:
    """The chain against the payments (lost / doubled), against the ledger (per wallet, supply), and the
    supply against what the known holders (linked wallets, the pool) hold."""
    lost = doubled = offset = 0
    wrong, disagree = [], []
    ledger_short = ledger_excess = 0
    for w in sorted(wallets, key=lambda w: w.customer_id):
        low, high = w.entitled - w.redeemed, max(w.entitled, w.peak) - w.redeemed
        w_lost, w_doubled = max(0, low - w.on_chain), max(0, w.on_chain - high)
        lost += w_lost
        doubled += w_doubled
        offset += max(0, min(w.on_chain, high) - max(low, 0))
        if w_lost or w_doubled:
            wrong.append({"customer_id": w.customer_id, "wallet": w.wallet, "on_chain": w.on_chain,
                          "expected_at_least": low, "expected_at_most": high})
        ledger_says = w.ledger_minted - w.ledger_redeemed
        if w.on_chain != ledger_says:
            ledger_short += max(0, ledger_says - w.on_chain)
            ledger_excess += max(0, w.on_chain - ledger_says)
            disagree.append({"customer_id": w.customer_id, "wallet": w.wallet, "ledger": ledger_says,
                             "on_chain": w.on_chain})
    redeemed = sum(w.redeemed for w in wallets)
    held = sum(w.on_chain for w in wallets) + pool_tokens
    outside = supply - held  # tokens in accounts that are neither a linked wallet nor the pool
    ledger_supply = pool_seed + ledger_minted_total
    return {
        "wallets": len(wallets),
        "points_expected_on_chain_at_least": sum(max(0, w.entitled - w.redeemed) for w in wallets),
        "points_on_chain": sum(w.on_chain for w in wallets),
        "points_lost": lost,
        "points_doubled": doubled + max(0, outside),
        "offset_points": offset,
        "wallets_wrong": len(wrong), "wallets_wrong_sample": wrong[:20],
        "ledger_vs_chain": {"wallets_disagree": len(disagree), "chain_short": ledger_short,
                            "chain_excess": ledger_excess, "sample": disagree[:20]},
        "supply": {"on_chain": supply, "ledger_expected": ledger_supply, "agrees_with_ledger": supply == ledger_supply,
                   "held_by_linked_wallets_and_pool": held, "outside_known_holders": outside},
        "pool": {"on_chain": pool_tokens, "expected": pool_seed + redeemed,
                 "agrees": pool_tokens == pool_seed + redeemed},
    }


def chain_agrees(c: dict[str, Any]) -> bool:
    return (c["points_lost"] == 0 and c["points_doubled"] == 0 and c["ledger_vs_chain"]["wallets_disagree"] == 0
            and c["supply"]["agrees_with_ledger"] and c["supply"]["outside_known_holders"] == 0 and c["pool"]["agrees"])


def redemption_problems(answer: dict[str, Any], before: dict[str, int], after: dict[str, int]) -> list[str]:
    """What a redemption moved, measured on both sides, against its answer: settled -> the wallet's tokens
    down by the points, the pool's up by them, the wallet's lamports up by amount_out, the ledger's balance
    down and totals.redeemed up by the points; refused -> nothing moved anywhere. Empty: all agree."""
    points = answer.get("points") or 0
    if answer.get("status") == "settled":
        want = {"tokens": -points, "pool_tokens": points, "lamports": answer.get("amount_out") or 0,
                "ledger_balance": -points, "ledger_redeemed": points}
    elif answer.get("status") == "refused":
        want = dict.fromkeys(("tokens", "pool_tokens", "lamports", "ledger_balance", "ledger_redeemed"), 0)
    else:
        return [f"status {answer.get('status')!r} (neither settled nor refused)"]
    return [f"{k} moved {after[k] - before[k]:+d}, expected {v:+d}" for k, v in want.items()
            if after[k] - before[k] != v]


_SUMMARY = re.compile(r"^(locked|error)=")


def minter_log_figures(lines: Iterable[str]) -> dict[str, Any]:
    """The mint runs' summary lines (`smartpay rewards mint --loop`: `locked=False lease_lost=False
    recovered=0 batches=1 minted_points=45 ...`), summed; `error=` lines and tracebacks counted."""
    runs: Counter[str] = Counter()
    sums: Counter[str] = Counter()
    tracebacks = 0
    for line in lines:
        line = line.strip()
        if line.startswith("Traceback"):
            tracebacks += 1
        if not _SUMMARY.match(line):
            continue
        if line.startswith("error="):
            runs["error"] += 1
            continue
        fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        runs["locked" if fields.get("locked") == "True" else
             "lease_lost" if fields.get("lease_lost") == "True" else "ran"] += 1
        for key in ("recovered", "batches", "minted_points", "failed_batches", "skipped_in_flight", "offsets",
                    "lamports_spent"):
            if fields.get(key, "").lstrip("-").isdigit():
                sums[key] += int(fields[key])
    return {"runs": dict(runs), **dict(sums), "tracebacks": tracebacks}


def journal_figures(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The mint journal's batches (one item per batch id): by status, points minted, fees and rent the
    minter accounted, why batches failed, how many were split or retried."""
    status: Counter[str] = Counter(i["status"] for i in items)
    minted_points = sum(int(o[3]) for i in items if i["status"] == "minted" for o in json.loads(i["orders"]))
    reasons: Counter[str] = Counter(re.sub(r"[0-9A-Za-z]{32,}", "<sig>", str(i.get("reason") or ""))[:120]
                                    for i in items if i["status"] == "failed")
    return {"batches": len(items), "by_status": dict(status), "minted_points": minted_points,
            "orders_minted": sum(len(json.loads(i["orders"])) for i in items if i["status"] == "minted"),
            "fee_lamports": sum(int(i.get("fee_lamports") or 0) for i in items),
            "rent_lamports": sum(int(i.get("rent_lamports") or 0) for i in items),
            "split_batches": sum("." in i["batch_id"] for i in items),
            "retried_batches": sum(int(i.get("attempts") or 1) > 1 for i in items),
            "failed_reasons": dict(reasons.most_common(5))}


# --- the chain, read by the bench ------------------------------------------------------------------------
def token_amount(data: bytes) -> int:
    """SPL token account (Token and Token-2022 base layout): mint 32, owner 32, amount u64 LE."""
    return struct.unpack_from("<Q", data, 64)[0]


def token_delegated_amount(data: bytes) -> int:
    """... delegate COption<Pubkey> (4 + 32) at 72, state 108, is_native COption<u64> (4 + 8) at 109,
    delegated_amount u64 at 121."""
    return struct.unpack_from("<Q", data, 121)[0]


def mint_supply(data: bytes) -> int:
    """SPL mint: mint_authority COption<Pubkey> (4 + 32), then supply u64 LE at 36."""
    return struct.unpack_from("<Q", data, 36)[0]


def associated_token_account(owner: Pubkey, mint: Pubkey, token_program: Pubkey) -> Pubkey:
    """The associated token account's address: the ATA program's PDA of (owner, token program, mint)."""
    return Pubkey.find_program_address([bytes(owner), bytes(token_program), bytes(mint)], ATA_PROGRAM)[0]


class ChainReader:
    """JSON-RPC against the stack's Solana sandbox, with nothing of the rewards service's chain code."""

    def __init__(self, url: str, mint: str):
        self.url, self.http = url, requests.Session()
        self.mint = Pubkey.from_string(mint)
        found = self.account(self.mint)
        if found is None:
            raise RuntimeError(f"no mint at {mint}")
        self.token_program = found[1]

    def rpc(self, method: str, params: list) -> Any:
        for attempt in range(5):
            try:
                body = self.http.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                                      timeout=30).json()
            except requests.RequestException:
                if attempt == 4:
                    raise
                time.sleep(1 + attempt)
                continue
            if "error" in body:
                raise RuntimeError(f"{method}: {body['error'].get('message')}")
            return body["result"]

    def account(self, address: Pubkey) -> tuple[int, Pubkey, bytes] | None:
        value = self.rpc("getAccountInfo", [str(address), {"encoding": "base64"}])["value"]
        if value is None:
            return None
        return value["lamports"], Pubkey.from_string(value["owner"]), base64.b64decode(value["data"][0])

    def token_account(self, owner: Pubkey | str) -> Pubkey:
        return associated_token_account(Pubkey.from_string(owner) if isinstance(owner, str) else owner, self.mint,
                                        self.token_program)

    def tokens(self, owner: Pubkey | str) -> int:
        found = self.account(self.token_account(owner))
        return token_amount(found[2]) if found else 0

    def delegated(self, owner: Pubkey | str) -> int:
        found = self.account(self.token_account(owner))
        return token_delegated_amount(found[2]) if found else 0

    def supply(self) -> int:
        return mint_supply(self.account(self.mint)[2])

    def lamports(self, address: Pubkey | str) -> int:
        return int(self.rpc("getBalance", [str(address)])["value"])

    def airdrop(self, address: Pubkey, lamports: int) -> None:
        self.rpc("requestAirdrop", [str(address), lamports])

    def approve(self, wallet: Keypair, delegate: Pubkey, points: int) -> str:
        """The customer's own transaction (signed and paid by the wallet): `delegate` may move `points` of the
        wallet's tokens (SPL ApproveChecked = 13, decimals 0). The sandbox keeps only its latest blockhash, so
        another sender may overtake: signed again with a fresh one."""
        ix = Instruction(self.token_program, bytes([13]) + struct.pack("<QB", points, 0),
                         [AccountMeta(self.token_account(wallet.pubkey()), False, True),
                          AccountMeta(self.mint, False, False), AccountMeta(delegate, False, False),
                          AccountMeta(wallet.pubkey(), True, False)])
        for attempt in range(6):
            blockhash = Hash.from_string(self.rpc("getLatestBlockhash", [{}])["value"]["blockhash"])
            tx = VersionedTransaction(MessageV0.try_compile(wallet.pubkey(), [ix], [], blockhash), [wallet])
            try:
                return self.rpc("sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
            except RuntimeError as e:
                if "Blockhash" not in str(e) or attempt == 5:
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")


# --- the stack side --------------------------------------------------------------------------------------
@dataclass
class Links:
    wallets: dict[str, Keypair]                                     # the customers who link one, and their key
    linked_at_s: dict[str, float] = field(default_factory=dict)     # customer -> seconds after the start
    not_yet: int = 0                                                # challenges answered 404 (no rewards yet)
    errors: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)                   # refused for another reason: not retried
    started: set[str] = field(default_factory=set)                  # a link attempt queued or running
    futures: list[Future] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Linker:
    """Links a share of the customers' wallets through the API as soon as each has rewards (its first
    captured payment was applied): challenge, signed by the wallet's key, then the link."""

    def __init__(self, session: requests.Session, gateway: str, customers: list[str], rng: random.Random):
        chosen = rng.sample(customers, int(len(customers) * LINK_SHARE))
        self.links = Links({c: Keypair() for c in sorted(chosen)})
        self.session, self.gateway = session, gateway
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="link")

    def offer(self, customer: str, origin: float) -> None:
        with self.links.lock:
            if customer not in self.links.wallets or customer in self.links.started:
                return
            self.links.started.add(customer)
        self.links.futures.append(self.pool.submit(self._link, customer, origin))

    def _post(self, path: str, body: dict[str, Any]) -> requests.Response | None:
        for attempt in range(4):
            try:
                return self.session.post(f"{self.gateway}{path}", json=body, timeout=30)
            except requests.RequestException as e:
                if attempt == 3:
                    with self.links.lock:
                        self.links.errors.append(f"{path}: {e}"[:200])
                time.sleep(1 + attempt)
        return None

    def _link(self, customer: str, origin: float) -> None:
        """One attempt: a 404 (the customer has no rewards yet: its capture is not applied) gives the customer
        back to be offered again later, without holding a thread."""
        wallet = self.links.wallets[customer]
        issued = self._post(f"/rewards/{customer}/wallet/challenge", {"wallet": str(wallet.pubkey())})
        if issued is not None and issued.status_code == 404:
            with self.links.lock:
                self.links.not_yet += 1
                self.links.started.discard(customer)
            return
        if issued is None or issued.status_code != 201:
            with self.links.lock:
                self.links.failed.add(customer)
                if issued is not None:
                    self.links.errors.append(f"{customer} challenge: {issued.status_code} {issued.text[:150]}")
            return
        challenge = issued.json()
        signature = str(wallet.sign_message(challenge["message"].encode()))
        linked = self._post(f"/rewards/{customer}/wallet", {"nonce": challenge["nonce"], "signature": signature})
        with self.links.lock:
            if linked is not None and linked.status_code == 200 and linked.json().get("wallet") == str(wallet.pubkey()):
                self.links.linked_at_s[customer] = round(time.monotonic() - origin, 1)
                return
            self.links.failed.add(customer)
            if linked is not None:
                self.links.errors.append(f"{customer} link: {linked.status_code} {linked.text[:150]}")

    def _drain(self) -> None:
        while self.links.futures:
            self.links.futures.pop().result()

    def finish(self, with_rewards: set[str], origin: float, timeout_s: float = LINK_TIMEOUT_S) -> None:
        """After the traffic: offer again every chosen customer with rewards that is not linked yet (its
        challenges answered 404 while its capture waited), until all are or `timeout_s` passed."""
        deadline = time.monotonic() + timeout_s
        while True:
            self._drain()
            missing = [c for c in self.links.wallets if c in with_rewards and c not in self.links.linked_at_s
                       and c not in self.links.failed]
            if not missing or time.monotonic() > deadline:
                break
            for customer in missing:
                self.offer(customer, origin)
            time.sleep(2.0)
        self._drain()
        self.pool.shutdown(wait=True)


def scan_all(db: Any, table: str, **kw: Any) -> list[dict[str, Any]]:
    """Every item of a DynamoDB Scan (all pages), as plain Python values."""
    from boto3.dynamodb.types import TypeDeserializer
    de = TypeDeserializer()
    items, kwargs = [], {"TableName": table, **kw}
    while True:
        page = db.scan(**kwargs)
        items += [{k: de.deserialize(v) for k, v in i.items()} for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class Journal:
    """The mint journal table, read directly (the minter's own record of its batches)."""

    def __init__(self, info: dict[str, Any], table: str):
        self.db = boto3.client("dynamodb", endpoint_url=info["aws_endpoint_url"], region_name=info["region"])
        self.table = table

    def items(self, pending_only: bool = False) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {}
        if pending_only:
            kwargs.update(FilterExpression="#s = :p", ExpressionAttributeNames={"#s": "status"},
                          ExpressionAttributeValues={":p": {"S": "pending"}})
        return scan_all(self.db, self.table, **kwargs)


class MintLease:
    """The mint run's lease item in the accounts table (`lease` / `mint-run`): who holds it, until when."""

    def __init__(self, info: dict[str, Any], accounts_table: str):
        self.db = boto3.client("dynamodb", endpoint_url=info["aws_endpoint_url"], region_name=info["region"])
        self.table = accounts_table

    def get(self) -> dict[str, Any] | None:
        item = self.db.get_item(TableName=self.table, Key={"pk": {"S": "lease"}, "sk": {"S": "mint-run"}},
                                ConsistentRead=True).get("Item")
        return {"holder": item["holder"]["S"], "until": int(item["until"]["N"])} if item else None


class MinterKiller:
    """SIGKILL the minter's process group once, while a batch of it is pending in the journal (recorded,
    its transaction sent or about to be, its outcome not yet written), and start it again `down` s later with
    the argv and environment it ran with (as WorkerKiller restarts the worker). The restarted minter must
    recover the batch from the journal. Measured: when the dead run's lease (never released) was taken over
    by the restarted minter (the lease item), and when that run ended (its summary line in the log)."""

    def __init__(self, state: Path, journal: Journal, lease: MintLease):
        self.table = ProcessTable(state)
        managed = self.table.running(MINTER)
        if managed is None:
            raise RuntimeError(f"the stack runs no {MINTER}")
        self.argv, self.env = _proc_argv(managed.pid), _proc_env(managed.pid)
        self.env.pop("SMARTPAY_STACK_PROCESS", None)
        self.journal, self.lease = journal, lease
        self.record: dict[str, Any] = {}

    def kill_and_restart(self, down: float, origin: float, catch_s: float = 60.0, watch_s: float = 300.0) -> None:
        try:
            self._kill_and_restart(down, origin, catch_s, watch_s)
        except Exception as e:  # recorded: the verdict needs the kill
            self.record["error"] = f"{type(e).__name__}: {e}"[:300]

    def _kill_and_restart(self, down: float, origin: float, catch_s: float, watch_s: float) -> None:
        managed = self.table.running(MINTER)
        if managed is None:
            self.record = {"error": f"{MINTER} was not running at the kill"}
            return
        until = time.monotonic() + catch_s
        polls = 0
        while time.monotonic() < until:
            polls += 1
            if self.journal.items(pending_only=True):
                break
            time.sleep(0.02)
        os.killpg(managed.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        while self.table.running(MINTER):
            time.sleep(0.05)
        left = self.journal.items(pending_only=True)  # what the dead run left pending: recover() must resolve it
        dead = self.lease.get()                       # the dead run's lease, if it held one
        dead_expires_in = round(dead["until"] - time.time(), 1) if dead else None
        time.sleep(down)
        log_offset = managed.log.stat().st_size if managed.log.exists() else 0
        new = self.table.start(MINTER, self.argv, self.env)
        restarted_at = time.monotonic()
        self.record = {"killed_at_s": round(killed_at - origin, 1), "down_s": round(restarted_at - killed_at, 1),
                       "journal_polls_before_the_kill": polls,
                       "pending_batches_left_by_the_kill": [
                           {"batch_id": p["batch_id"], "orders": len(json.loads(p["orders"])),
                            "points": sum(int(o[3]) for o in json.loads(p["orders"]))} for p in left],
                       "lease_at_the_kill": {"held_by_the_killed_run": dead is not None,
                                             "expires_in_s": dead_expires_in},
                       "old_pid": managed.pid, "new_pid": new.pid, "signal": "SIGKILL (process group)"}
        # The restarted minter's runs: locked out while the killed run's lease lasts, then it recovers.
        locked = 0
        deadline = restarted_at + watch_s
        while time.monotonic() < deadline:
            if "lease_taken_over_s_after_the_kill" not in self.record:
                now = self.lease.get()
                if dead is None or now is None or now["holder"] != dead["holder"]:  # gone only if another took it
                    self.record["lease_taken_over_s_after_the_kill"] = round(time.monotonic() - killed_at, 1)
            with managed.log.open(errors="replace") as f:
                f.seek(log_offset)
                lines = [line for line in f.read().splitlines() if _SUMMARY.match(line.strip())]
            locked = sum("locked=True" in line for line in lines)
            ran = [line for line in lines if line.startswith("locked=False")]
            if ran and "lease_taken_over_s_after_the_kill" in self.record:
                self.record.update(first_run_after_restart_ended_s=round(time.monotonic() - restarted_at, 1),
                                   locked_runs_after_restart=locked, first_run_summary=ran[0][:300])
                return
            time.sleep(0.5)
        self.record.update(first_run_after_restart_ended_s=None, locked_runs_after_restart=locked)

    def outcome_of_left_batches(self) -> dict[str, str]:
        ids = {b["batch_id"] for b in self.record.get("pending_batches_left_by_the_kill", [])}
        return {i["batch_id"]: i["status"] for i in self.journal.items() if i["batch_id"] in ids}


def reconcile_cli(info: dict[str, Any], minter_env: dict[str, str]) -> dict[str, Any]:
    """`smartpay rewards reconcile --json` against the stack, as the minter function is configured."""
    done = subprocess.run([SMARTPAY, "rewards", "reconcile", "--json"], env=stack_env(info, **minter_env),
                          capture_output=True, text=True, timeout=300)
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"ok": False, "exit_code": done.returncode, "error": (done.stdout + done.stderr)[-500:]}
    return {"ok": bool(report.get("ok")) and done.returncode == 0, "exit_code": done.returncode,
            "wallets_checked": report.get("wallets_checked"), "expected_supply": report.get("expected_supply"),
            "on_chain_supply": report.get("on_chain_supply"), "mismatches": len(report.get("mismatches", [])),
            "mismatch_sample": report.get("mismatches", [])[:10]}


# --- the verdict (pure) ----------------------------------------------------------------------------------
def chain_validity(c: dict[str, Any]) -> list[str]:
    """Why the run cannot judge the chain (empty: it can): too few wallets linked, the minter not killed while
    a batch was pending (the journal's recovery not exercised), no redemption settled or none refused."""
    if "error" in c:
        return [f"the chain measurement failed: {c['error']}"]
    why = []
    links, kill = c["links"], c["minter_kill"]
    if links["linked"] < 0.8 * links["customers_chosen"]:
        why.append(f"only {links['linked']} of {links['customers_chosen']} wallets linked "
                   f"(errors: {links['error_sample']})")
    if "killed_at_s" not in kill:
        why.append(f"the minter was not killed ({kill.get('error', 'no record')})")
    elif not kill["pending_batches_left_by_the_kill"]:
        why.append("the minter's kill left no pending batch: the recovery through the journal was not exercised")
    statuses = [r["status"] for r in c["redemptions"]]
    if "settled" not in statuses:
        why.append(f"no redemption settled ({statuses})")
    if "refused" not in statuses:
        why.append(f"no redemption refused ({statuses})")
    return why


def chain_met(c: dict[str, Any]) -> bool:
    """Ledger and chain agree (both of the bench's comparisons, before and after the redemptions, and the
    service's reconcile), the killed minter's pending batches resolved, every redemption moved what it said."""
    if chain_validity(c):
        return False
    left = c["minter_kill"].get("pending_batches_left_by_the_kill", [])
    outcome = c["minter_kill"].get("left_batches_outcome", {})
    return (c["converged"]
            and chain_agrees(c["before_redemptions"]) and chain_agrees(c["after_redemptions"])
            and c["after_redemptions"]["journal_pending"] == 0
            and c["reconcile_before_redemptions"]["ok"] and c["reconcile_after_redemptions"]["ok"]
            and len(outcome) == len(left) and all(s in ("minted", "failed") for s in outcome.values())
            and all(not r["problems"] for r in c["redemptions"]))
