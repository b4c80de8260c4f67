"""`smartpay rewards ...`: an operator's view of a merchant's customer's points (balance, history), read
from the ledger tables the deployed service writes (AWS_ENDPOINT_URL and REWARDS_* select them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Loyalty points: a customer's balance and ledger history.", no_args_is_help=True)
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
