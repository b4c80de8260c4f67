"""`smartpay payment timeline <id>`: where a payment's time went, stage by stage (time queued included),
read from its record."""

from __future__ import annotations

import json

import typer


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def timeline(payment_id: str = typer.Argument(..., help="The payment (pay_...)."),
             merchant: str = typer.Option(None, help="Only if it is this merchant's payment (operator access "
                                                     "reads any merchant's otherwise)."),
             as_json: bool = typer.Option(False, "--json", help="The stages as JSON instead of the table.")) -> None:
    """Time per stage: since the previous stage, in other services before the causing event was emitted
    (upstream), queued (bus + SQS, redeliveries included) and handling here."""
    from rich.console import Console
    from rich.table import Table

    from smartpay_payment.adapters.repository import DynamoPaymentRepository
    from smartpay_payment.config import payment_settings
    from smartpay_payment.service_layer.payments import PaymentNotFound, payment_timeline
    from smartpay_shared import aws

    repo = DynamoPaymentRepository(aws.client("dynamodb"), payment_settings().payments_table)
    try:
        rows = payment_timeline(repo, payment_id, merchant)
    except PaymentNotFound:
        typer.echo(f"no payment {payment_id}" + (f" of merchant {merchant}" if merchant else ""), err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps([{**row.__dict__, "at": row.at.isoformat()} for row in rows], indent=2))
        return
    table = Table(title=f"{payment_id}: time per stage (ms)")
    for column in ("stage", "at +ms", "elapsed", "upstream", "queued", "handling", "cause", "detail"):
        table.add_column(column, justify="right" if column not in ("stage", "cause", "detail") else "left",
                         overflow="fold" if column == "detail" else "ellipsis", no_wrap=column != "detail")
    for row in rows:
        table.add_row(row.state, _ms(row.since_start), _ms(row.elapsed), _ms(row.upstream), _ms(row.queued),
                      _ms(row.handling), row.cause or "-", row.detail or "")
    console = Console()
    console.print(table)
    queued = sum(r.queued or 0 for r in rows)
    slowest = max(rows[1:], key=lambda r: r.elapsed or 0, default=None)
    console.print(f"total {_ms(rows[-1].since_start if rows else None)} ms, queued {_ms(queued)} ms"
                  + (f"; longest stage {slowest.state} {_ms(slowest.elapsed)} ms" if slowest else ""))
