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
from smartpay_chat.domain.errors import IndexUnavailable
from smartpay_chat.service_layer import chat as chat_service

app = typer.Typer(help="Payment analytics answered from the index.", no_args_is_help=True, add_completion=False)
console = Console()
_HIDDEN = {"value"}


@app.command()
def ask(question: Annotated[str, typer.Argument(help="The question, in plain words.")],
        merchant: Annotated[str, typer.Option(help="The merchant to answer for (operator access).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the whole answer as JSON.")] = False,
        chart: Annotated[Path | None, typer.Option(help="Save a time series (per day / per hour) as a PNG.")]
        = None,
        as_of: Annotated[datetime | None, typer.Option(
            "--as-of", formats=["%Y-%m-%dT%H:%M:%S%z"],
            help="Answer as of this moment (e.g. 2026-11-30T18:00:00+00:00) instead of now (CHAT_AS_OF).")]
        = None) -> None:
    """Answer one question (a new session) and show the rows as a table."""
    settings = chat_settings()
    if as_of is not None:
        settings = settings.model_copy(update={"as_of": as_of})
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
def reindex(source: Annotated[Path | None, typer.Option(
                "--from-jsonl", exists=True, dir_okay=False,
                help="One JSON object a line: merchant_id, payment_id, payment (a PaymentSnapshot). Without it, "
                     "the payments DynamoDB table is scanned.")] = None,
            table: Annotated[str | None, typer.Option(help="The payments table (default: CHAT_PAYMENTS_TABLE, "
                                                          "smartpay-payments).")] = None,
            batch: Annotated[int, typer.Option(min=1, max=50_000)] = 5_000) -> None:
    """Rebuild the index. From the payments table (default): every item's `snapshot`, into a new table
    (embedded) or a new index behind the alias (OpenSearch), swapped in at the end. From JSONL: upserts into
    the embedded index (versions are kept: older lines never win)."""
    settings = chat_settings()
    if source is not None:
        _reindex_jsonl(settings, source, batch)
    else:
        _reindex_table(settings, table or settings.payments_table)


def _reindex_table(settings, table: str) -> None:
    from smartpay_shared import aws

    from smartpay_chat.adapters import payments_table

    client = aws.client("dynamodb")
    documents, skipped, invalid = [], 0, []
    with Progress(console=console) as progress:
        task = progress.add_task(f"scanning {table}", total=payments_table.approximate_count(client, table))
        try:
            for item in payments_table.scan(client, table):
                progress.advance(task)
                if item.skipped:
                    skipped += 1
                    continue
                if item.invalid is None:
                    try:
                        documents.append(build_document(item.merchant_id, item.payment_id, item.snapshot))
                        continue
                    except ValueError as e:  # the PAN guard and consistency checks name fields, not values
                        item = payments_table.TableItem(item.merchant_id, item.payment_id,
                                                        invalid=str(e).splitlines()[0][:200])
                invalid.append(item)
        except IndexUnavailable as e:
            raise typer.BadParameter(str(e)) from None
    if invalid:
        shown = "; ".join(f"{i.payment_id}: {i.invalid}" for i in invalid[:5])
        console.print(f"[red]{len(invalid)} item(s) with an invalid snapshot; the index was not swapped[/red]: {shown}")
        raise typer.Exit(1)
    with console.status(f"loading {len(documents)} documents and swapping"):
        report = _rebuild(settings, documents)
    console.print(f"{len(documents)} snapshots read from {table}, {skipped} item(s) without a snapshot skipped; "
                  f"{report}")


def _rebuild(settings, documents) -> dict:
    if settings.index_backend == "opensearch":
        return bootstrap.build_index(settings).rebuild(documents)
    from smartpay_chat.adapters import embeddings
    from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
    from smartpay_chat.adapters.duckdb_shared import publish, writer_lock

    embedder, reason = embeddings.load(settings.embeddings)
    with writer_lock(settings.index_path):
        index = DuckDBPaymentIndex(settings.index_path, name=settings.index_alias, embedder=embedder,
                                   no_embedder_reason=reason)
        try:
            report = index.rebuild(documents)
        finally:
            index.close()
        publish(settings.index_path)
    return {**report, "index": str(settings.index_path), "vectors": embedder is not None}


def _reindex_jsonl(settings, source: Path, batch: int) -> None:
    if settings.index_backend != "embedded":
        raise typer.BadParameter("reindex from JSONL writes the embedded index; for OpenSearch reindex from the "
                                 "payments table (no --from-jsonl)")
    from smartpay_chat.adapters import embeddings
    from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
    from smartpay_chat.adapters.duckdb_shared import publish, writer_lock

    lines = source.read_text().splitlines()
    embedder, reason = embeddings.load(settings.embeddings)
    written, pending = 0, []
    with writer_lock(settings.index_path):
        index = DuckDBPaymentIndex(settings.index_path, name=settings.index_alias, embedder=embedder,
                                   no_embedder_reason=reason)
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
        publish(settings.index_path)
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
