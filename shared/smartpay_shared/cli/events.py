"""`smartpay events tail|replay`: watch events flow on the bus; re-deliver archived ones."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console
from rich.table import Table

from smartpay_shared import aws
from smartpay_shared.config import platform_settings
from smartpay_shared.ops.replay import replay as run_replay
from smartpay_shared.ops.tap import BusTap

app = typer.Typer(no_args_is_help=True)
console = Console()


def _bus(bus: str | None) -> str:
    return bus or platform_settings().event_bus


def _row(event: dict) -> list[str]:
    meta = event.get("detail", {}).get("metadata", {})
    return [event.get("time", ""), event.get("detail-type", ""), event.get("source", ""),
            str(meta.get("correlation_id", "")), str(meta.get("event_id", ""))[:12],
            event.get("replay-name", "")]


@app.command()
def tail(
    event_type: list[str] = typer.Option(None, "--type", help="Only these detail-types."),
    payment_id: str = typer.Option(None, "--payment", help="Only this payment's events."),
    seconds: float = typer.Option(0, help="Stop after this long (0 = until Ctrl-C)."),
    as_json: bool = typer.Option(False, "--json", help="Print whole events as JSON lines."),
    bus: str = typer.Option(None, help="Event bus (default from SMARTPAY_BUS_NAME)."),
) -> None:
    """Show events on the bus as they flow, through a temporary catch-all rule."""
    pattern: dict = {"source": [{"prefix": "smartpay."}]}
    if event_type:
        pattern["detail-type"] = event_type
    if payment_id:
        pattern["detail"] = {"metadata": {"correlation_id": [payment_id]}}
    deadline = time.monotonic() + seconds if seconds else None
    columns = ["time", "type", "source", "payment", "event id", "replay"]
    if not as_json:
        console.print(" | ".join(columns), style="bold")
    with BusTap(aws.client("events"), aws.client("sqs"), _bus(bus), pattern) as tap:
        try:
            while deadline is None or time.monotonic() < deadline:
                for event in tap.receive(wait_seconds=1):
                    print(json.dumps(event)) if as_json else console.print(" | ".join(_row(event)))
        except KeyboardInterrupt:
            pass


def _parse_time(value: str) -> datetime:
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    if value[-1:] in units and value[:-1].isdigit():
        return datetime.now(UTC) - timedelta(**{units[value[-1]]: int(value[:-1])})
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command()
def replay(
    since: str = typer.Option("1h", help="Window start: ISO time or an age like 15m, 2h, 1d."),
    until: str = typer.Option(None, help="Window end (ISO time; default now)."),
    payment_id: str = typer.Option(None, "--payment", help="Only this payment's events."),
    to: str = typer.Option("debug", help="'debug' (a queue you can read) or 'bus' (re-deliver)."),
    bus: str = typer.Option(None, help="Event bus (default from SMARTPAY_BUS_NAME)."),
    archive: str = typer.Option(None, help="Archive (default <bus>-archive)."),
) -> None:
    """Re-deliver the archived events of a window, optionally only one payment's."""
    if to not in ("debug", "bus"):
        raise typer.BadParameter("--to must be 'debug' or 'bus'")
    bus_name = _bus(bus)
    result = run_replay(
        aws.client("events"), aws.client("sqs"), bus_name=bus_name, archive_name=archive or f"{bus_name}-archive",
        start=_parse_time(since), end=_parse_time(until) if until else datetime.now(UTC),
        payment_id=payment_id, target=to,  # type: ignore[arg-type]
    )
    table = Table(title=f"replay {result.name}")
    table.add_column("replayed")
    table.add_column("to")
    table.add_row(str(result.replayed), result.debug_queue_url if to == "debug" else f"bus {bus_name}")
    console.print(table)
    console.print(f"replayed {result.replayed} event(s)")
