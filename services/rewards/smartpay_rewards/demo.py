"""`make demo`'s rewards part: after the payments and refunds, every customer's points as GET /rewards/{customer_id}
shows them, against what the payments as the payment service reports them should have earned (docs/rewards.md:
floor(captured major x rate), minus the cumulative proportional clawback of what was refunded), and the history of
one customer whose refund clawed points back. The ledger is fed by the queue, so it is polled until it agrees or
`timeout` passes; any disagreement left fails the demo."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from rich.table import Table

from smartpay_rewards.domain.points import EarnRates, clawback_target, points_for


def expected_balances(payments: Iterable[Mapping[str, Any]], rate: str) -> dict[str, dict[str, int]]:
    """customer -> earned, clawed, balance, payments, refunded (minor units) from payment views (GET /payments/{id})."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"earned": 0, "clawed": 0, "balance": 0, "payments": 0,
                                                          "refunded": 0})
    for view in payments:
        captured = view.get("captured_amount") or 0
        if captured <= 0 or not view.get("customer_id"):
            continue
        earned = points_for(captured, view["currency"], EarnRates(rate).default)
        clawed = clawback_target(earned, view.get("refunded_amount") or 0, captured)
        c = out[view["customer_id"]]
        c["earned"] += earned
        c["clawed"] += clawed
        c["balance"] += earned - clawed
        c["payments"] += 1
        c["refunded"] += view.get("refunded_amount") or 0
    return dict(out)


def _statement(session: Any, url: str, customer_id: str) -> dict[str, Any] | None:
    response = session.get(f"{url}/rewards/{quote(customer_id, safe='')}", timeout=15)
    return response.json() if response.status_code == 200 else None


def _agrees(expected: Mapping[str, int], statement: Mapping[str, Any] | None) -> bool:
    if statement is None:
        return expected["earned"] == 0
    return (statement["balance"], statement["debt"], statement["totals"]["earned"],
            statement["totals"]["clawed_back"]) == (expected["balance"], 0, expected["earned"], expected["clawed"])


def deployed_rate(info: Mapping[str, Any], merchant_id: str) -> str:
    """The merchant's earn rate as Terraform deployed it to the stack's rewards worker."""
    from smartpay_shared.local.stack import deployed_environments

    deployed = deployed_environments(info["terraform_outputs"], info["aws_endpoint_url"], info["region"])
    env = deployed["rewards"]["worker"]
    return EarnRates(env.get("REWARDS_DEFAULT_EARN_RATE", "1"),
                     json.loads(env.get("REWARDS_MERCHANT_EARN_RATES") or "{}")).rate_for(merchant_id).to_eng_string()


def offer_cell(offers: dict[str, Any]) -> str:
    """The offer the policy picked for the customer (title and propensity), "no offer", or the status."""
    if offers.get("status") != "ok":
        return str(offers.get("status"))
    if not offers["active"]:
        return f"no offer (p={offers['propensity']:.3f})"
    return f"{offers['active'][0]['title']} (p={offers['propensity']:.3f})"


def show(session: Any, url: str, payment_ids: Iterable[str], rate: str, say: Callable[[Any], None],
         timeout: float = 60.0) -> bool:
    """Print the customers' points and one clawback's history; True when every statement agrees. The payments are
    read again (GET /payments/{id}) every round: a refund still pending may settle meanwhile."""
    ids = list(payment_ids)
    statements: dict[str, dict[str, Any] | None] = {}
    deadline = time.monotonic() + timeout
    while True:
        expected = expected_balances([session.get(f"{url}/payments/{pid}", timeout=15).json() for pid in ids], rate)
        statements = {cid: _statement(session, url, cid) for cid in sorted(expected)}
        wrong = [cid for cid in expected if not _agrees(expected[cid], statements[cid])]
        if not wrong or time.monotonic() > deadline:
            break
        time.sleep(1.0)

    table = Table(title=f"rewards: points per customer (GET /rewards/{{customer_id}}; earn rate {rate} per major unit)")
    for column in ("customer", "payments", "refunded", "expected", "balance", "earned", "clawed back", "debt",
                   "offers", ""):
        table.add_column(column, justify="left" if column in ("customer", "offers", "") else "right")
    for cid in sorted(expected):
        e, s = expected[cid], statements[cid]
        ok = _agrees(e, s)
        table.add_row(cid, str(e["payments"]), str(e["refunded"]), str(e["balance"]),
                      *(["-"] * 4 if s is None else [str(s["balance"]), str(s["totals"]["earned"]),
                                                     str(s["totals"]["clawed_back"]), str(s["debt"])]),
                      "-" if s is None else offer_cell(s["offers"]), "[green]ok[/green]" if ok else "[red]DIFFERS[/red]")
    say(table)

    clawed = next((cid for cid in sorted(expected) if expected[cid]["clawed"] and statements[cid]), None)
    if clawed is not None:
        history = Table(title=f"{clawed}: ledger history (newest first), a refund clawing points back")
        for column in ("seq", "kind", "points", "balance after", "detail"):
            history.add_column(column, justify="right" if column in ("seq", "points", "balance after") else "left")
        for entry in statements[clawed]["history"][:8]:
            history.add_row(str(entry["seq"]), entry["kind"], f"{entry['points']:+d}", str(entry["balance_after"]),
                            entry["detail"])
        say(history)
    else:
        say("[yellow]rewards: no refund clawed points back in this run[/yellow]")
    if wrong:
        say(f"[red]rewards: {len(wrong)} customer(s) whose points disagree with their payments after "
            f"{timeout:.0f} s: {wrong}[/red]")
    return not wrong
