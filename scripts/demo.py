"""`make demo`: the main job. Starts the local stack, creates a merchant user in Cognito, sends a mix of
payments through POST /pay (normal ones on all three gateways, cards kept in the vault so they can fall
back between Stripe and Amazon Pay, payments whose first gateway fails (an injected 503) and fall back,
a card-testing burst, declined cards, an Amazon Pay sandbox with failures switched on), waits for every
saga, refunds a few, prints a summary, runs `smartpay payment reconcile --fix` and exits non-zero if any
payment is lost, a ledger disagrees with the records, reconcile left anything unresolved, or reconcile found
that a customer's money was taken when it should not have been: charged twice (a second capture, even one
that --fix then refunded), or charged for a payment that failed. An authorization left by an injected
fault and voided by --fix took no money and does not fail the demo; it is listed as such. A merchant webhook
endpoint on a local receiver (smartpay_webhooks.testing.demo) gets every payment outcome, signed; the demo fails
unless every delivery succeeded and verified. Every customer's rewards points (GET /rewards/{customer_id}) are shown
against what their payments earned less what refunds clawed back (smartpay_rewards.demo); then one customer links
a wallet (a key generated here; only its public key is printed), the stack's minter mints their points into it and
they redeem half for SOL through the pool (smartpay_rewards.demo_chain): ledger, minted and the on-chain token
balance, the quote, the settlement, the SOL received, and `smartpay rewards reconcile`. A disagreement fails it.

Every figure printed is computed here from the payments' own records (bench/outcomes.py: saga latency
from each payment's timeline, refunds settled vs still pending, what each reconcile finding meant)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from rich.console import Console
from rich.progress import track
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python scripts/demo.py`: the repo's bench package (pure readings) next door
    sys.path.insert(0, str(ROOT))

from bench import outcomes  # noqa: E402
from smartpay_payment.testing.local_stack import Emulators, MerchantClient  # noqa: E402
from smartpay_payment.testing.servers import amazon_checkout_session, stripe_card  # noqa: E402
from smartpay_shared.local import stack  # noqa: E402
from smartpay_rewards import demo as demo_rewards  # noqa: E402
from smartpay_rewards import demo_chain  # noqa: E402
from smartpay_webhooks.testing import demo as demo_webhooks  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 140)  # a log keeps the tables readable
BIN = Path(sys.executable).parent
PASSWORD = "Demo-merchant-Passw0rd!"  # a throwaway user on the local emulator only
DONE = {"indexed", "fraud_declined", "declined", "failed", "refunded", "partially_refunded"}
SAGA_TIMEOUT = 180.0
REFUND_TIMEOUT = 60.0  # a pending refund is retried by the sweeper (every 5 s locally)
TARGET_P50_MS, TARGET_P99_MS = 1000.0, 5000.0  # issue #14: `make demo` saga p50 <= 1 s, p99 <= 5 s


@dataclass
class Sent:
    kind: str
    method: str
    payment_id: str
    final: dict = field(default_factory=dict)


def cli(*args: str) -> str:
    out = subprocess.run([str(BIN / "smartpay"), *args], check=True, capture_output=True, text=True,
                         env={**os.environ, "SMARTPAY_USER_PASSWORD": PASSWORD})
    return out.stdout.strip()


def card(emulators: Emulators, number: str) -> str:
    return stripe_card(emulators.stripe, number)


def amazon_session(emulators: Emulators) -> str:
    return amazon_checkout_session(emulators.amazon_pay)


def plan(rng: random.Random, merchant: MerchantClient) -> list[tuple[str, dict]]:
    """(kind, body) pairs: what a merchant's afternoon looks like, plus trouble."""
    run = uuid.uuid4().hex[:6]  # fresh customers per run: Redis keeps velocity history between runs
    wallets = [f"sol_demo_alice_{run}", f"sol_demo_bob_{run}"]
    for wallet in wallets:
        cli("payment", "fund-wallet", wallet, "--sol", "2", "--usd", "5000")
    # Cards kept once in the vault (a Stripe PaymentMethod + an Amazon Pay card on file each): charged on
    # whichever gateway routing picks, and able to fall back from one to the other.
    vaulted = [merchant.vault_card(f"cus_card{i}_{run}") for i in range(4)]
    good_card = card(merchant.emulators, "4242424242424242")  # a raw Stripe token still works (routed to Stripe)
    payments: list[tuple[str, dict]] = []

    def body(method: str, token: str, amount: int, customer: str, **extra) -> dict:
        customer = f"{customer}_{run}"
        reference = {"vault_id": token} if token.startswith("pmv_") else {"token": token}
        return {"amount": amount, "currency": extra.pop("currency", "USD"), "customer_id": customer,
                "payment_method": {"type": method, **reference}, "device_id": extra.pop("device", f"dev_{customer}"),
                "ip_address": extra.pop("ip", "203.0.113.10"), "country": extra.pop("country", "US"), **extra}

    for i in range(10):
        payments.append(("normal card (vaulted)", body("card", vaulted[i % 4], rng.randint(1500, 15000),
                                                       f"cus_card{i % 4}")))
    for i in range(2):
        payments.append(("normal card (raw token)", body("card", good_card, rng.randint(1500, 15000), f"cus_raw{i}")))
    # Gateway trouble: the first gateway tried answers 503 (an injected fault, local stack only); the
    # vaulted card falls back to the other card gateway.
    for i in range(6):
        payments.append(("card, 1st gateway 503 -> fallback", body(
            "card", vaulted[i % 4], rng.randint(1500, 15000), f"cus_card{i % 4}",
            metadata={"smartpay_fault": "attempt1:5xx"})))
    for i in range(8):
        payments.append(("normal amazon_pay", body("amazon_pay", amazon_session(merchant.emulators),
                                                   rng.randint(2000, 20000), f"cus_amzn{i % 3}")))
    for i in range(8):
        payments.append(("normal solana", body("solana_wallet", wallets[i % 2], rng.randint(500, 9000),
                                               f"cus_sol{i % 2}")))
    for i in range(3):
        payments.append(("declined card", body("card", card(merchant.emulators, "4000000000000341"),
                                                rng.randint(3000, 9000), f"cus_decl{i}")))
    # Card testing: one stolen card probed with tiny amounts from a fresh device abroad, seconds apart.
    stolen = card(merchant.emulators, "4242424242424242")
    for _ in range(10):
        payments.append(("card-testing burst", body("card", stolen, rng.randint(100, 300), "cus_fraudster",
                                                     device="dev_burner", ip="198.51.100.77", country="BR")))
    return payments


def wait_all(session: requests.Session, url: str, sent: list[Sent], done=lambda view: view.get("status") in DONE,
             timeout: float = SAGA_TIMEOUT) -> None:
    """Poll each payment until `done(view)` or `timeout`; `final` holds the last view read either way."""
    deadline = time.monotonic() + timeout
    pending = {s.payment_id: s for s in sent}
    while pending and time.monotonic() < deadline:
        for payment_id, item in list(pending.items()):
            view = session.get(f"{url}/payments/{payment_id}", timeout=10).json()
            item.final = view
            if done(view):
                pending.pop(payment_id)
        time.sleep(0.5)
    for item in pending.values():
        item.final = session.get(f"{url}/payments/{item.payment_id}", timeout=10).json()


SKIPPED = {"method_not_on_gateway", "gateway_disabled"}  # the gateway was never called: not a fallback


def fell_back(view: dict) -> bool:
    """Captured after an earlier attempt failed on a gateway (a real fallback, not a skipped route)."""
    attempts = view.get("attempts", [])
    return view.get("captured_amount", 0) > 0 and any(
        a["outcome"] != "captured" and a.get("code") not in SKIPPED for a in attempts[:-1])


def _ms_cell(values: list[float], q: float) -> str:
    return f"{outcomes.percentile(values, q):.0f}" if values else "-"


def refund_table(sent: list[Sent], refunds: dict[str, str]) -> tuple[Table, dict[str, int]]:
    """One row per refund asked for, from the payment's record as last read: a refund still settling
    says PENDING and shows no final payment status (it may still change); counts by outcome."""
    table = Table(title="refunds (as recorded when the demo ended)")
    for column in ("payment", "asked", "refund #", "amount", "refund status", "payment status", "refunded so far"):
        table.add_column(column)
    counts = {"settled": 0, "pending": 0, "refused": 0, "not recorded": 0}
    for s in sent:
        if s.payment_id not in refunds:
            continue
        rows = outcomes.refund_rows(s.final, refunds[s.payment_id])
        pending = any(not r.final for r in rows)
        for r in rows:
            counts["settled" if r.status == "succeeded" else r.status if r.status in counts else "not recorded"] += 1
            status = (f"{s.final.get('status', '?')} (not final: a refund is pending)" if pending
                      else s.final.get("status", "?"))
            table.add_row(s.payment_id, r.asked, str(r.number or "-"), str(r.amount if r.amount is not None else "-"),
                          r.shown, status, str(s.final.get("refunded_amount", 0)))
    return table, counts


def latency_sentence(latencies: list[float], total: int) -> str:
    """Saga latency from the payments' own timelines, and the issue #14 demo target checked against
    those figures (nothing else is claimed)."""
    if not latencies:
        return f"saga latency: no saga of the {total} payments ended (no figure)"
    p50, p99 = outcomes.percentile(latencies, 50), outcomes.percentile(latencies, 99)
    met = p50 <= TARGET_P50_MS and p99 <= TARGET_P99_MS
    note = "" if len(latencies) >= 100 else f" (with {len(latencies)} samples p99 is interpolated near the slowest)"
    return (f"saga latency from each payment's own timeline (REQUESTED -> INDEXED, or -> its decline/failure): "
            f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(latencies):.0f} ms over {len(latencies)} of {total} "
            f"payments{note}; issue #14 demo target p50 <= {TARGET_P50_MS:.0f} ms and p99 <= {TARGET_P99_MS:.0f} ms: "
            f"{'met' if met else 'not met'}")


def summarize(sent: list[Sent], refunds: dict[str, str]) -> int:
    outcomes_table = Table(title="outcomes by kind")
    for column in ("kind", "sent", "completed", "fallbacks", "declined (fraud)", "declined (gateway)", "failed",
                   "not terminal"):
        outcomes_table.add_column(column)
    kinds = sorted({s.kind for s in sent})
    for kind in kinds:
        views = [s.final for s in sent if s.kind == kind]
        rows = [v.get("status") for v in views]
        outcomes_table.add_row(kind, str(len(rows)),
                               str(sum(r in ("indexed", "refunded", "partially_refunded") for r in rows)),
                               str(sum(fell_back(v) for v in views)),
                               str(rows.count("fraud_declined")), str(rows.count("declined")),
                               str(rows.count("failed")), str(sum(r not in DONE for r in rows)))
    console.print(outcomes_table)
    paths = {}
    for s in sent:
        if fell_back(s.final):
            path = " -> ".join(a["gateway"] for a in s.final["attempts"])
            paths[path] = paths.get(path, 0) + 1
    console.print(f"fallbacks: {sum(paths.values())} payment(s) captured after a failed gateway attempt "
                  f"({', '.join(f'{k}: {v}' for k, v in sorted(paths.items())) or 'none'})")

    gateways = Table(title="per gateway (the payment's last attempt)")
    for column in ("gateway", "payments", "captured", "captured share", "after a fallback",
                   "saga p50 ms (captured)", "saga p99 ms (captured)"):
        gateways.add_column(column)
    for gw in ("stripe", "amazon_pay", "solana"):
        tried = [s for s in sent if s.final.get("gateway") == gw]
        ok = [s for s in tried if s.final.get("captured_amount", 0) > 0]
        lat = [x for x in (outcomes.saga_ms(s.final) for s in ok) if x is not None]
        gateways.add_row(gw, str(len(tried)), str(len(ok)), f"{len(ok) / len(tried):.0%}" if tried else "-",
                         str(sum(fell_back(s.final) for s in tried)), _ms_cell(lat, 50), _ms_cell(lat, 99))
    console.print(gateways)

    table, counts = refund_table(sent, refunds)
    console.print(table)
    pending_note = " (not final: the sweeper retries them)" if counts["pending"] else ""
    console.print(f"refunds: {counts['settled']} settled, {counts['pending']} still pending{pending_note}, "
                  f"{counts['refused']} refused, {counts['not recorded']} not recorded")

    latencies = [x for x in (outcomes.saga_ms(s.final) for s in sent) if x is not None]
    console.print(latency_sentence(latencies, len(sent)))
    lost = [s.payment_id for s in sent if s.final.get("status") not in DONE]
    if lost:
        console.print(f"[red]LOST: {len(lost)} payment(s) never reached a terminal state: {lost}[/red]")
    return len(lost)


def reconcile_verdicts(report: dict) -> tuple[list[outcomes.Verdict], Table | None]:
    """What each finding of `reconcile --fix --json` meant for the customer, as a table."""
    verdicts = outcomes.classify_all(report)
    if not verdicts:
        return verdicts, None
    table = Table(title="reconcile findings: what they meant for the customer")
    for column in ("payment", "finding", "meaning", "money taken", "fixed", "what --fix did", "fails the demo"):
        table.add_column(column, overflow="fold")
    for v in verdicts:
        table.add_row(v.payment_id, v.kind, v.category, "yes" if v.money_taken else "no", "yes" if v.fixed else "no",
                      v.fix or "-", "[red]yes[/red]" if v.fails else "no")
    return verdicts, table


def check_ledgers(workdir: Path) -> bool:
    """`smartpay payment reconcile --fix --json`: True when nothing fails (no money taken wrongly, nothing
    left unresolved, every ledger read)."""
    out = workdir / "reconcile.json"
    ledger = subprocess.run([str(BIN / "smartpay"), "payment", "reconcile", "--fix", "--json", str(out)],
                            capture_output=True, text=True, env={**os.environ, "COLUMNS": "160"})
    console.print("ledger check (`smartpay payment reconcile --fix`: every gateway's charges against the records):")
    console.print(ledger.stdout[-4000:] + ledger.stderr[-2000:])
    try:
        report = json.loads(out.read_text())
    except (OSError, ValueError) as e:
        console.print(f"[red]reconcile wrote no readable JSON report ({e}); exit code {ledger.returncode}[/red]")
        return False
    verdicts, table = reconcile_verdicts(report)
    if table is not None:
        console.print(table)
    ok = True
    for v in verdicts:
        if v.category == outcomes.VOIDED_HOLD:
            console.print(f"{v.payment_id}: an authorization on {v.gateway} that the payment does not account for "
                          f"(an attempt the saga left behind) was voided by --fix: no money was taken from the "
                          f"customer")
        elif v.fails:
            ok = False
            console.print(f"[red]{v.category.upper()}: payment {v.payment_id}: {v.explanation}"
                          f"{'; --fix: ' + v.fix if v.fix else ''}[/red]")
    for error in report.get("errors", []):
        ok = False
        console.print(f"[red]ledger unreadable: {error}[/red]")
    if ledger.returncode != 0:
        ok = False
        console.print(f"[red]reconcile exited {ledger.returncode}: findings unresolved after --fix or a ledger "
                      f"unreadable (see above)[/red]")
    return ok


def main() -> int:
    info = stack.up(prefer_default_ports=True)  # the documented ports while free (8080, 8420...), else free ones
    url, emulators = info["gateway_url"], Emulators.of(info)
    console.print(f"[bold]local stack up[/bold]: gateway {url}, emulator {info['aws_endpoint_url']}, "
                  f"Stripe {emulators.stripe}, Amazon Pay {emulators.amazon_pay}, Solana {emulators.solana}, "
                  f"Redis {info['redis_url']}")
    cli("auth", "create-user", "--email", "merchant@demo.smartpay.dev", "--merchant-id", "m_demo")
    token = cli("auth", "token", "--email", "merchant@demo.smartpay.dev")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    receiver, endpoint_id = demo_webhooks.register(session, url, console.print)

    rng = random.Random(42)
    payments = plan(rng, MerchantClient(url, token, emulators))
    # Trouble on one gateway: the Amazon Pay sandbox answers 503 to one call in five for the rest of the run.
    requests.post(f"{emulators.amazon_pay}/__sandbox/profile", json={"error_rate": 0.2}, timeout=5)
    sent: list[Sent] = []
    for kind, body in track(payments, description="POST /pay"):
        key = f"demo-{uuid.uuid4().hex}"
        response = session.post(f"{url}/pay", json=body, headers={"Idempotency-Key": key}, timeout=15)
        if response.status_code != 202:
            console.print(f"[red]POST /pay -> {response.status_code}: {response.text[:300]}[/red]")
            return 1
        payment_id = response.json()["payment_id"]
        again = session.post(f"{url}/pay", json=body, headers={"Idempotency-Key": key}, timeout=15)
        if again.json().get("payment_id") != payment_id:  # a client retry must not make a second payment
            console.print(f"[red]idempotency broken for {payment_id}[/red]")
            return 1
        sent.append(Sent(kind, body["payment_method"]["type"], payment_id))
    with console.status("waiting for every saga to finish"):
        wait_all(session, url, sent)

    refunds: dict[str, str] = {}
    captured = [s for s in sent if s.final.get("status") == "indexed"]
    for i, item in enumerate(captured[:4]):
        amount = None if i % 2 == 0 else max(1, item.final["amount"] // 3)
        body = {"reason": "requested_by_customer", **({"amount": amount} if amount else {})}
        response = session.post(f"{url}/payments/{item.payment_id}/refund", json=body, timeout=15)
        refunds[item.payment_id] = f"{'full' if amount is None else amount} -> HTTP {response.status_code}"
    if refunds:
        with console.status("waiting for refunds to settle (a pending one is retried by the sweeper)"):
            wait_all(session, url, [s for s in sent if s.payment_id in refunds],
                     done=lambda view: outcomes.pending_refunds(view) == 0, timeout=REFUND_TIMEOUT)

    requests.post(f"{emulators.amazon_pay}/__sandbox/profile", json={"error_rate": 0.0}, timeout=5)  # trouble over
    lost = summarize(sent, refunds)
    # Rewards: every customer's points (GET /rewards) against what their payments earned, one clawback's history.
    rewards_ok = demo_rewards.show(session, url, [s.payment_id for s in sent],
                                   demo_rewards.deployed_rate(info, "m_demo"), console.print)
    # Rewards on chain: one customer links a wallet, the minter mints their points, they redeem half for SOL.
    chain_ok = demo_chain.run(session, url, {s.final["customer_id"] for s in sent if s.final.get("customer_id")},
                              demo_chain.deployed_minter(info), info["aws_endpoint_url"], info["region"],
                              console.print)
    webhooks_ok = demo_webhooks.settle(session, url, endpoint_id, receiver, console.print)
    # --fix: a hold the saga could not read back (an Amazon Pay authorization whose every status read
    # answered 503, then rerouted) is an orphan charge, voided here: no money taken, the demo passes. A
    # second capture, or a capture on a payment that failed, fails the demo even once --fix refunded it.
    workdir = Path(tempfile.mkdtemp(prefix="smartpay-demo-"))
    ledgers_ok = check_ledgers(workdir)
    console.print("Stop the stack with `make down`.")
    failed = bool(lost) or not ledgers_ok or not webhooks_ok or not rewards_ok or not chain_ok
    console.print(f"[{'red' if failed else 'green'}]demo {'FAILED' if failed else 'passed'}: {lost} lost, "
                  f"ledger check {'clean' if ledgers_ok else 'FAILED (see above)'}, "
                  f"webhooks {'delivered and verified' if webhooks_ok else 'FAILED (see above)'}, "
                  f"rewards {'agree with the payments' if rewards_ok else 'FAILED (see above)'}, "
                  f"rewards on chain {'minted, redeemed and reconciled' if chain_ok else 'FAILED (see above)'}[/]")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
