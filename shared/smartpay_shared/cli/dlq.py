"""`smartpay dlq show|redrive SERVICE`: what failed for a service, and putting it back."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from smartpay_shared import aws
from smartpay_shared.config import platform_settings
from smartpay_shared.ops import dlq

app = typer.Typer(no_args_is_help=True)
console = Console()


def _urls(service: str) -> tuple[str, str]:
    settings, sqs = platform_settings(), aws.client("sqs")
    return (sqs.get_queue_url(QueueName=settings.dlq_name(service))["QueueUrl"],
            sqs.get_queue_url(QueueName=settings.queue_name(service))["QueueUrl"])


@app.command()
def show(service: str, limit: int = typer.Option(20, help="At most this many messages.")) -> None:
    """List dead letters (the failure reasons are in the worker's log, by message id)."""
    dlq_url, _ = _urls(service)
    table = Table(title=f"{platform_settings().dlq_name(service)}")
    for column in ("message id", "receives", "type", "payment", "event id"):
        table.add_column(column)
    letters = dlq.peek(aws.client("sqs"), dlq_url, limit)
    for letter in letters:
        table.add_row(letter.message_id, str(letter.receive_count), letter.event_type or "(not an event)",
                      letter.correlation_id, letter.event_id[:12])
    console.print(table)
    console.print(f"{len(letters)} dead letter(s) shown")


@app.command()
def redrive(service: str, limit: int = typer.Option(None, help="Move at most this many.")) -> None:
    """Move dead letters back to the service queue (after the handler is fixed)."""
    dlq_url, queue_url = _urls(service)
    moved = dlq.redrive(aws.client("sqs"), dlq_url, queue_url, limit)
    console.print(f"redrove {moved} message(s) to {platform_settings().queue_name(service)}")
