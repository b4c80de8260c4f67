"""`smartpay chat ask` and `smartpay chat reindex`: operator commands (they run with the operator's local
access to the index, so the merchant is an explicit option here; merchants ask through POST /chat)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from smartpay_shared.events.payloads import PaymentSnapshot

from smartpay_chat import bootstrap
from smartpay_chat.config import chat_settings
from smartpay_chat.domain.document import build_document
from smartpay_chat.service_layer import chat as chat_service

app = typer.Typer(help="Payment analytics answered from the index.", no_args_is_help=True, add_completion=False)
console = Console()
_HIDDEN = {"value"}


@app.command()
def ask(question: Annotated[str, typer.Argument(help="The question, in plain words.")],
        merchant: Annotated[str, typer.Option(help="The merchant to answer for (operator access).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the whole answer as JSON.")] = False,
        chart: Annotated[Path | None, typer.Option(help="Save a time series (per day / per hour) as a PNG.")]
        = None) -> None:
    """Answer one question (a new session) and show the rows as a table."""
    settings = chat_settings()
    chat = bootstrap.build_chat(settings, sessions=chat_service.InMemorySessions())
    answer = chat_service.ask(chat, bootstrap.build_index(settings, read_only=True), merchant, question, None)
    if chart is not None:
        console.print(f"chart: {save_chart(answer, chart)}")
    if as_json:
        console.print_json(json.dumps(to_jsonable_python(answer)))
        return
    console.print(answer["answer"])
    rows = answer["rows"] if answer["kind"] == "aggregate" else []
    if rows:
        names = [k for k in rows[0] if k not in _HIDDEN]
        table = Table(*["value", *names], title=f"plan: {answer['plan']['metric']}")
        for row in rows:
            table.add_row(str(row["value"]), *(str(row[k]) for k in names))
        console.print(table)
    console.print(f"[dim]plan: {json.dumps(answer['plan'])}[/dim]")
    if answer["query"]:
        console.print(f"[dim]query: {json.dumps(to_jsonable_python(answer['query']))}[/dim]")
    if answer["citations"]:
        console.print(f"[dim]citations: {', '.join(answer['citations'])}[/dim]")


@app.command()
def reindex(source: Annotated[Path, typer.Option("--from-jsonl", exists=True, dir_okay=False,
                                                 help="One JSON object a line: merchant_id, payment_id, payment "
                                                      "(a PaymentSnapshot).")],
            batch: Annotated[int, typer.Option(min=1, max=50_000)] = 5_000) -> None:
    """Rebuild the embedded index from payment snapshots (versions are kept: older lines never win)."""
    settings = chat_settings()
    if settings.index_backend != "embedded":
        raise typer.BadParameter("reindex from JSONL writes the embedded index; for OpenSearch use "
                                 "OpenSearchPaymentIndex.reindex_and_swap (not wired to this command yet)")
    from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex

    lines = source.read_text().splitlines()
    index = DuckDBPaymentIndex(settings.index_path, name=settings.index_alias)
    written, pending = 0, []
    try:
        with Progress(console=console) as progress:
            task = progress.add_task("indexing", total=len(lines))
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                item = json.loads(line)
                try:
                    pending.append(build_document(item["merchant_id"], item["payment_id"],
                                                  PaymentSnapshot.model_validate(item["payment"])))
                except (KeyError, ValueError) as e:
                    raise typer.BadParameter(f"line {number}: {type(e).__name__}: "
                                             f"{str(e).splitlines()[0][:200]}") from None
                if len(pending) >= batch:
                    written += index.upsert_many(pending)
                    progress.advance(task, len(pending))
                    pending = []
            written += index.upsert_many(pending)
            progress.update(task, completed=len(lines))
    finally:
        index.close()
    console.print(f"{written} documents written to {settings.index_path} ({datetime.now(UTC):%H:%M:%S} UTC)")


def save_chart(answer: dict, path: Path) -> Path:
    """A line per currency (money) or one line, over the day/hour groups of the rows; the values are the rows'."""
    group_by = answer["plan"].get("group_by", []) if answer["kind"] == "aggregate" else []
    time_key = next((k for k in group_by if k in ("day", "hour")), None)
    if time_key is None or not answer["rows"]:
        raise typer.BadParameter("--chart needs a time series answer (per day or per hour) with rows")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, list[tuple[str, float]]] = {}
    for row in answer["rows"]:
        if row["value"] is None:
            continue
        label = " / ".join(str(row[k]) for k in row if k in ("currency", "gateway", "status", "method", "country",
                                                               "reason")) or answer["plan"]["metric"]
        series.setdefault(label, []).append((str(row[time_key]), float(row["value"])))
    fig, ax = plt.subplots(figsize=(9, 4))
    for label, points in sorted(series.items()):
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    ax.set_title(answer["answer"].split(" — ")[0])
    ax.set_xlabel(time_key)
    ax.tick_params(axis="x", rotation=45)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
