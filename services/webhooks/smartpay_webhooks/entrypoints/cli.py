"""`smartpay webhooks ...`: the deliverer loop (the local stack's stand-in for the delivery queue's event
source mapping), an operator's view of a merchant's endpoints and deliveries, resends, and a local
receiver that verifies signatures (the demo's merchant)."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime

import typer

app = typer.Typer(help="Merchant webhooks: deliverer loop, endpoints, delivery log, resend, local receiver.",
                  no_args_is_help=True)


def _service():
    from smartpay_webhooks import bootstrap

    return bootstrap.service()


@app.command()
def deliver(loop: bool = typer.Option(False, help="Keep draining (the local stack's deliverer process)."),
            interval: float = typer.Option(1.0, help="Seconds between drains with --loop.")) -> None:
    """Attempt the deliveries waiting on the delivery queue."""
    from smartpay_webhooks.entrypoints.deliverer import drain

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    while True:
        counts = drain(budget_seconds=30.0)
        if counts:
            typer.echo(" ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        if not loop:
            raise typer.Exit(1 if counts.get("error") else 0)
        time.sleep(interval)


@app.command("endpoints")
def list_endpoints(merchant_id: str = typer.Option(..., help="The merchant whose endpoints to list.")) -> None:
    """A merchant's endpoints (never their secrets)."""
    from smartpay_webhooks.entrypoints.api import endpoint_view

    for endpoint in _service().endpoints.list(merchant_id):
        typer.echo(json.dumps(endpoint_view(endpoint)))


@app.command()
def deliveries(merchant_id: str = typer.Option(...), endpoint_id: str = typer.Option(...),
               limit: int = typer.Option(20, min=1, max=100)) -> None:
    """An endpoint's newest deliveries and their attempts."""
    from smartpay_webhooks.entrypoints.api import delivery_view

    for delivery in _service().replay.list(merchant_id, endpoint_id, limit=limit):
        typer.echo(json.dumps(delivery_view(delivery)))


@app.command()
def resend(merchant_id: str = typer.Option(...), endpoint_id: str = typer.Option(...),
           delivery_id: str = typer.Option(None, help="One delivery..."),
           since: datetime = typer.Option(None, help="...or every delivery created since (ISO 8601, UTC).")) -> None:
    """Queue a delivery again (the same webhook-id), or every delivery since a time."""
    from datetime import UTC

    replay = _service().replay
    if bool(delivery_id) == bool(since):
        raise typer.BadParameter("give --delivery-id or --since")
    if delivery_id:
        found = [replay.resend(merchant_id, endpoint_id, delivery_id)]
    else:
        found = replay.resend_since(merchant_id, endpoint_id, since if since.tzinfo else since.replace(tzinfo=UTC))
    typer.echo(f"resent {len(found)}")


@app.command("resweep-dlq")
def resweep_dlq(limit: int = typer.Option(None, min=1, help="Handle at most this many dead letters.")) -> None:
    """Put the deliveries whose task landed in the delivery DLQ back on the delivery queue (after the
    deliverer's fault is fixed); drop the letters whose delivery moved on; keep what is not a task."""
    from smartpay_webhooks.adapters.sqs_queue import task_from
    from smartpay_webhooks.service_layer.dead_letters import DeadLetterSweep

    webhooks = _service()
    sweep = DeadLetterSweep(webhooks.queue.dead_letter_queue(), webhooks.delivery_repo, webhooks.queue,
                            webhooks.clock, task_from)
    counts = sweep.run(limit)
    typer.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@app.command()
def receiver(port: int = typer.Option(8499), secret: list[str] = typer.Option(..., help="whsec_... (repeatable)"),
             fail_first: int = typer.Option(0, help="Answer 500 to the first N tries of every webhook-id.")) -> None:
    """A local merchant receiver: verifies every delivery (standardwebhooks) and prints a line for each."""
    from smartpay_webhooks.testing.receiver import Receiver

    local = Receiver(secret, fail_first=fail_first, echo=typer.echo)
    typer.echo(f"listening on {local.start(port)}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        local.stop()
