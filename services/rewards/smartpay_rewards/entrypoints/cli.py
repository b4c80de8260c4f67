"""`smartpay rewards ...`: an operator's view of a merchant's customer's points (balance, history), read
from the ledger tables the deployed service writes (AWS_ENDPOINT_URL and REWARDS_* select them), and the
on-chain operations: `chain-setup` (keys, mint, pool; the local stack runs it at start), `mint` (the mint
run; the deployed `minter` function runs it on its schedule), `reconcile` (chain against ledger, exit 1 on a
mismatch) and `resolve` (redemptions whose venue answer was lost); `merchant-category` (the operator's
offer category of a merchant, which the ledger's offer bonus reads); `offers ...` (offers/cli.py): train the
offer policy from the decision log, compare offer policies offline."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from smartpay_rewards.offers.catalogue import Category
from smartpay_rewards.offers.cli import offers_app

app = typer.Typer(help="Loyalty points: a customer's balance and ledger history.", no_args_is_help=True)
app.add_typer(offers_app, name="offers")
console = Console()


def _statement(merchant_id: str, customer_id: str, limit: int, before: int | None):
    from smartpay_rewards import bootstrap
    from smartpay_rewards.domain.errors import AccountNotFound
    from smartpay_rewards.service_layer import ledger

    rewards = bootstrap.service()
    try:
        return ledger.statement(merchant_id, customer_id, rewards.uow, rewards.offer_policy, limit=limit,
                                before_seq=before, now=datetime.now(UTC))
    except AccountNotFound:
        console.print(f"[yellow]no rewards for customer {customer_id!r} at merchant {merchant_id!r}[/]")
        raise typer.Exit(1) from None


@app.command()
def balance(customer_id: str = typer.Argument(..., help="The merchant's customer id."),
            merchant_id: str = typer.Option(..., "--merchant", help="The merchant the customer belongs to."),
            as_json: bool = typer.Option(False, "--json", help="Print the API's JSON instead of a table.")) -> None:
    """Balance, debt and totals of one customer."""
    from smartpay_rewards.entrypoints.views import statement_view

    view = statement_view(_statement(merchant_id, customer_id, 1, None))
    if as_json:
        typer.echo(json.dumps({k: v for k, v in view.items() if k not in ("history", "next_before")}))
        return
    table = Table(title=f"rewards of {customer_id} at {merchant_id}")
    for column in ("balance", "debt", "earned", "clawed back", "redeemed", "minted", "offers"):
        table.add_column(column, justify="right" if column != "offers" else "left")
    t = view["totals"]
    table.add_row(str(view["balance"]), str(view["debt"]), str(t["earned"]), str(t["clawed_back"]),
                  str(t["redeemed"]), str(t["minted"]), view["offers"]["status"])
    console.print(table)


@app.command("merchant-category")
def merchant_category(merchant_id: str = typer.Option(..., "--merchant", help="The merchant id."),
                      category: str | None = typer.Option(None, "--set", help=" | ".join(Category)),
                      clear: bool = typer.Option(False, "--clear", help="No category: no offer pays there."),
                      as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The merchant's offer category (the operator's setting, the one source the ledger reads): a capture at
    this merchant earns the bonus of an offer of this category standing for the customer. Shown, or set."""
    from smartpay_rewards import bootstrap
    from smartpay_rewards.service_layer import ledger

    if category is not None and clear:
        raise typer.BadParameter("--set or --clear, not both")
    rewards = bootstrap.service()
    if category is not None or clear:
        try:
            ledger.set_merchant_category(merchant_id, category, rewards.uow, datetime.now(UTC))
        except ValueError as e:
            raise typer.BadParameter(str(e)) from None
    found = ledger.merchant_category(merchant_id, rewards.uow)
    if as_json:
        typer.echo(json.dumps({"merchant_id": merchant_id, "category": found}))
    else:
        console.print(f"{merchant_id}: {found or 'no category (no offer pays a bonus there)'}")


@app.command()
def history(customer_id: str = typer.Argument(..., help="The merchant's customer id."),
            merchant_id: str = typer.Option(..., "--merchant", help="The merchant the customer belongs to."),
            limit: int = typer.Option(20, min=1, max=100, help="Entries per page, newest first."),
            before: int | None = typer.Option(None, min=2, help="Entries before this seq (the previous page's next_before)."),
            as_json: bool = typer.Option(False, "--json", help="One JSON entry per line instead of a table.")) -> None:
    """Ledger entries of one customer, newest first."""
    from smartpay_rewards.entrypoints.views import entry_view

    found = _statement(merchant_id, customer_id, limit, before)
    if as_json:
        for entry in found.entries:
            typer.echo(json.dumps(entry_view(entry)))
        return
    table = Table(title=f"ledger of {customer_id} at {merchant_id}")
    for column in ("seq", "at", "kind", "points", "debt", "balance after", "debt after", "payment", "detail"):
        table.add_column(column, justify="right" if column in ("seq", "points", "debt", "balance after",
                                                                "debt after") else "left")
    for e in found.entries:
        table.add_row(str(e.seq), e.at.isoformat(timespec="seconds"), e.kind.value, f"{e.points:+d}",
                      f"{e.debt_change:+d}", str(e.balance_after), str(e.debt_after), e.payment_id or "",
                      e.detail)
    console.print(table)
    if found.next_before:
        console.print(f"more: --before {found.next_before}")


@app.command("chain-setup")
def chain_setup(seed_points: int = typer.Option(1_000_000, min=1, help="Points minted into the pool as liquidity."),
                seed_sol: float = typer.Option(100.0, min=0.001, help="SOL in the pool's reserve."),
                allow_remote: bool = typer.Option(False, help="Also against a non-local AWS endpoint (devnet "
                                                  "sandboxes only: generated keys).")) -> None:
    """Keys into Secrets Manager (generated where the secret has no value), the fee payer funded, the points
    mint and the exchange pool created once and recorded in the ledger (idempotent; `make up` runs it)."""
    from smartpay_shared import aws
    from smartpay_shared.config import platform_settings

    from smartpay_rewards import bootstrap
    from smartpay_rewards.chain.cluster import RpcCluster
    from smartpay_rewards.service_layer.chain_setup import ChainSetupError, ensure_chain

    endpoint = platform_settings().endpoint_url or ""
    if not allow_remote and not endpoint.startswith(("http://127.0.0.1", "http://localhost")):
        typer.echo(f"refusing: AWS_ENDPOINT_URL={endpoint or '(AWS)'} is not a local emulator (--allow-remote "
                   "for a devnet sandbox account)", err=True)
        raise typer.Exit(2)
    rewards = bootstrap.service()
    try:
        report = ensure_chain(rewards.uow, aws.client("secretsmanager"), RpcCluster(rewards.settings.solana_rpc_url),
                              rewards.settings, seed_points=seed_points, seed_lamports=int(seed_sol * 10**9))
    except ChainSetupError as e:
        typer.echo(f"chain setup failed: {e}", err=True)
        raise typer.Exit(1) from None
    for secret_id, outcome in report.secrets.items():
        typer.echo(f"{secret_id}: {outcome}")  # the id and what happened, never the value
    typer.echo(f"mint {report.mint} ({'created' if report.created else 'kept'}); pool authority "
               f"{report.pool_authority}; fee payer funded {report.funded_lamports} lamports")


@app.command()
def mint(loop: bool = typer.Option(False, help="Keep running (the local stack's minter process)."),
         interval: float = typer.Option(5.0, help="Seconds between runs with --loop."),
         as_json: bool = typer.Option(False, "--json", help="Print the run's summary as JSON.")) -> None:
    """Mint what the ledger owes to linked wallets (recovering interrupted batches first)."""
    from smartpay_rewards import bootstrap
    from smartpay_rewards.bootstrap import ChainNotSetUp
    from smartpay_rewards.entrypoints.mint_run import run_summary
    from smartpay_rewards.service_layer.onchain import mint_run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    rewards = bootstrap.service()
    while True:
        try:
            summary = run_summary(mint_run(rewards.uow, rewards.chain().minter))
            failed = summary["failed_batches"]
        except ChainNotSetUp as e:
            summary, failed = {"error": str(e)}, 1
        typer.echo(json.dumps(summary) if as_json else " ".join(f"{k}={v}" for k, v in summary.items()))
        if not loop:
            raise typer.Exit(1 if failed else 0)
        time.sleep(interval)


@app.command()
def reconcile(as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
    """Compare the chain (each linked wallet's points, the pool's reserve, the mint's supply) with the ledger;
    exit 1 on any mismatch."""
    from smartpay_rewards import bootstrap
    from smartpay_rewards.chain.reconcile import read_chain
    from smartpay_rewards.service_layer.onchain import reconcile as run_reconcile

    rewards = bootstrap.service()
    chain = rewards.chain()
    report = run_reconcile(rewards.uow, lambda wallets: read_chain(chain.points, wallets))
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, "wallets_checked": report.wallets_checked,
                               "expected_supply": report.expected_supply, "on_chain_supply": report.on_chain_supply,
                               "mismatches": [m.__dict__ for m in report.mismatches]}))
    else:
        table = Table(title=f"rewards on chain vs ledger (mint {chain.points.address})")
        for column in ("wallet", "ledger", "chain", "difference", "kind"):
            table.add_column(column, justify="left" if column in ("wallet", "kind") else "right")
        for m in report.mismatches:
            table.add_row(m.wallet, str(m.expected), str(m.on_chain), f"{m.difference:+d}", m.kind)
        table.add_row("[b]supply[/b]", str(report.expected_supply), str(report.on_chain_supply),
                      f"{report.on_chain_supply - report.expected_supply:+d}",
                      "ok" if report.supply_agrees else "[red]mismatch[/red]")
        console.print(table)
        console.print(f"{report.wallets_checked} wallets checked: " +
                      ("[green]ledger and chain agree[/green]" if report.ok else
                       f"[red]{len(report.mismatches)} wallet mismatches[/red]"))
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def resolve() -> None:
    """Ask the venue about pending redemptions (a lost answer) and settle or reverse them; exit 1 while any
    stays open."""
    from smartpay_rewards import bootstrap
    from smartpay_rewards.service_layer.redeem import resolve_open

    rewards = bootstrap.service()
    results = resolve_open(rewards.uow, rewards.chain().exchange)
    table = Table(title="open redemptions")
    for column in ("merchant", "customer", "redemption", "points", "was", "now", "reference"):
        table.add_column(column)
    for before, after in results:
        table.add_row(before.merchant_id, before.customer_id, before.redemption_id, str(before.points), before.status,
                      after.status, after.reference or "")
    console.print(table)
    raise typer.Exit(1 if any(after.status in ("reserved", "pending") for _, after in results) else 0)
