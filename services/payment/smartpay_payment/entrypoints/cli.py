"""`smartpay payment ...`: the sweeper (once or as a loop for the local stack), a payment's timeline,
reconciliation, and the local sandboxes."""

from __future__ import annotations

import csv
import logging
import time
from datetime import timedelta
from pathlib import Path

import typer

from smartpay_payment.entrypoints.cli_timeline import timeline

app = typer.Typer(help="Payment saga: sweeper, timeline, reconciliation and local gateway sandboxes.",
                  no_args_is_help=True)
app.command()(timeline)
log = logging.getLogger("smartpay_payment.sweeper")


@app.command()
def sweep(loop: bool = typer.Option(False, help="Keep sweeping (the local stack's sweeper process)."),
          interval: float = typer.Option(5.0, help="Seconds between sweeps with --loop.")) -> None:
    """Re-send unpublished events, retry pending refunds, resume or fail sagas past their deadline."""
    from smartpay_payment import bootstrap
    from smartpay_payment.config import payment_settings
    from smartpay_payment.service_layer.sweeper import sweep as run_sweep

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    saga = bootstrap.service().saga
    grace = timedelta(seconds=payment_settings().outbox_grace_seconds)
    while True:
        report = run_sweep(saga, outbox_grace=grace)
        typer.echo(f"republished={report.republished} refunds_retried={report.refunds_retried} "
                   f"resumed={report.resumed} failed={report.failed} errors={len(report.errors)}")
        for error in report.errors:
            log.warning(error)
        if not loop:
            raise typer.Exit(1 if report.errors else 0)
        time.sleep(interval)


@app.command("import")
def import_payments(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                                help="CSV (header line) or JSONL: one historical payment per row."),
                    merchant: str = typer.Option(..., "--merchant", help="The merchant the payments belong to "
                                                 "(never a column of the file)."),
                    fmt: str = typer.Option("auto", "--format", help="auto (by extension: .jsonl/.ndjson/.json "
                                            "-> JSONL, else CSV), csv or jsonl.")) -> None:
    """Backfill historical payments (docs/payment.md, "Importing history"): validated in full before anything is
    written (exit 2 with the line numbers), idempotent (a re-import changes nothing), card numbers refused;
    each payment is announced like a live one, so the chat index takes it."""
    from smartpay_payment import bootstrap
    from smartpay_payment.config import payment_settings
    from smartpay_payment.service_layer.history import MAX_ERRORS_SHOWN, import_history, read_rows
    from smartpay_shared import aws
    from smartpay_shared.config import platform_settings
    from smartpay_shared.events.payloads import Payload

    if fmt not in ("auto", "csv", "jsonl"):
        typer.echo(f"--format must be auto, csv or jsonl, not {fmt!r}", err=True)
        raise typer.Exit(2)
    try:
        Payload.model_validate({"payment_id": "pay_00000000", "merchant_id": merchant})
    except ValueError:
        typer.echo("--merchant: 1-64 letters, digits, '_' or '-'", err=True)
        raise typer.Exit(2) from None
    uow = bootstrap.unit_of_work(payment_settings(), aws.client("dynamodb"), aws.client("events"),
                                 platform_settings().event_bus)
    try:
        report = import_history(uow, merchant, read_rows(file, fmt))
    except (UnicodeDecodeError, csv.Error) as e:
        typer.echo(f"{file}: unreadable as {fmt}: {type(e).__name__}", err=True)
        raise typer.Exit(2) from None
    if report.errors:
        for error in report.errors[:MAX_ERRORS_SHOWN]:
            typer.echo(error, err=True)
        more = len(report.errors) - MAX_ERRORS_SHOWN
        typer.echo((f"... and {more} more; " if more > 0 else "") + f"{len(report.errors)} error(s) in "
                   f"{report.rows} row(s): nothing was written", err=True)
        raise typer.Exit(2)
    typer.echo(f"{report.rows} row(s): imported {report.imported}, already imported {report.unchanged}"
               + (f", {report.unpublished} event(s) left to the sweeper" if report.unpublished else ""))


@app.command("amazon-pay-sandbox")
def amazon_pay_sandbox(port: int = 8430, approval: str = "approve", approval_rate: float = 1.0,
                       latency_ms: float = 0.0) -> None:
    """Run the Amazon Pay LOCAL SANDBOX (not Amazon's service) on 127.0.0.1:PORT."""
    from smartpay_payment.sandbox.amazon_pay import main

    main(["--port", str(port), "--approval", approval, "--approval-rate", str(approval_rate),
          "--latency-ms", str(latency_ms)])


@app.command("solana-sandbox")
def solana_sandbox(port: int = 8899) -> None:
    """Run the Solana LOCAL SANDBOX (LiteSVM behind JSON-RPC) on 127.0.0.1:PORT."""
    from smartpay_payment.sandbox.solana_rpc import main

    main(["--port", str(port)])


@app.command("fund-wallet")
def fund_wallet(token: str, sol: float = typer.Option(0.0, help="SOL to airdrop."),
                usd: float = typer.Option(0.0, help="USDC-like tokens to mint (1 token = 1 USD).")) -> None:
    """Fund a sandbox Solana wallet (the `solana_wallet` token of a payment) on the configured cluster."""
    from smartpay_payment import bootstrap
    from smartpay_payment.config import payment_settings

    settings = payment_settings()
    if settings.solana_mode != "rpc":
        typer.echo("solana_mode is litesvm (in-process): only an RPC cluster is shared with the workers", err=True)
        raise typer.Exit(2)
    gateway = bootstrap.build_gateways(settings.model_copy(update={"gateways": "solana"}))["solana"]
    owner = gateway.wallets.customer(token).pubkey()
    if sol:
        gateway.cluster.airdrop(owner, int(sol * 10**9))
    if usd:
        gateway.fund_token(owner, int(usd * 10**6))
    typer.echo(f"{token} -> {owner}: {gateway.token_balance(owner)} token units")


@app.command()
def reconcile(payment_ids: list[str] = typer.Argument(None, help="Payments to check (default: all)."),
              fix: bool = typer.Option(False, "--fix", help="Void or refund orphan and duplicate charges "
                                       "(recorded on the payment; idempotent)."),
              json_out: str = typer.Option("", "--json", help="Also write the report as JSON to this path "
                                           "('-': stdout, instead of the table)."),
              grace: float = typer.Option(60.0, help="Seconds past a saga's deadline before it counts as lost."),
              unknown_since: str = typer.Option(
                  "table", help="Report gateway charges of payments the table lacks when created since: 'table' "
                                "(its oldest payment), an ISO time, or 'off'.")) -> None:
    """Compare the payments table with each gateway's own record (lost, double charged, orphan charge,
    amount mismatch); exit 1 while any finding is unresolved or a ledger could not be read."""
    import json
    from datetime import timedelta

    from rich.console import Console
    from rich.table import Table

    from smartpay_payment import bootstrap
    from smartpay_payment.config import payment_settings
    from smartpay_payment.service_layer.reconcile import Reconciler

    saga = bootstrap.service().saga
    reconciler = Reconciler(saga, bootstrap.build_ledgers(payment_settings(), saga.gateways),
                            grace=timedelta(seconds=grace))
    since: float | str | None = {"table": "table", "off": None}.get(unknown_since, unknown_since)
    if since not in ("table", None):
        from datetime import datetime

        since = datetime.fromisoformat(unknown_since).timestamp()
    report = reconciler.run(payment_ids or None, fix=fix, unknown_since=since)
    if json_out:
        text = json.dumps(report.to_json(), indent=2)
        if json_out == "-":
            typer.echo(text)
        else:
            with open(json_out, "w") as out:
                out.write(text + "\n")
    if json_out != "-":
        console = Console()
        if report.findings:
            table = Table(title="reconciliation findings")
            table.add_column("payment", no_wrap=True)
            table.add_column("kind", no_wrap=True)
            for column in ("state", "gateway", "amount", "detail", "fix"):
                table.add_column(column, overflow="fold")
            for f in report.findings:
                table.add_row(f.payment_id, f.kind, f.state or "-", f.gateway or "-", str(f.amount), f.detail,
                              f.fix or ("-" if f.kind in ("lost", "amount_mismatch") else "not attempted"))
            console.print(table)
        counts = ", ".join(f"{kind} {c['found']} (fixed {c['fixed']})" for kind, c in
                           ((k, report.count(k)) for k in ("lost", "double_charged", "orphan_charge",
                                                            "amount_mismatch")))
        charges = ", ".join(f"{g} {n}" for g, n in report.gateway_charges.items())
        console.print(f"checked {report.checked} payment(s), {report.in_flight} in flight; gateway charges: "
                      f"{charges or 'none'}; findings: {counts}")
        for error in report.errors:
            console.print(f"[red]{error}[/red]")
    raise typer.Exit(1 if report.unresolved or report.errors else 0)


@app.command("fund-operator")
def fund_operator(sol: float = typer.Option(1000.0, help="SOL to airdrop to the fee payer.")) -> None:
    """Airdrop the Solana fee payer (the local sandbox or devnet; `make up` runs it once)."""
    from smartpay_payment import bootstrap
    from smartpay_payment.config import payment_settings

    settings = payment_settings()
    if settings.solana_mode != "rpc":
        typer.echo("solana_mode is litesvm: each process funds its own in-process chain")
        return
    gateway = bootstrap.build_gateways(settings.model_copy(update={"gateways": "solana"}))["solana"]
    gateway.cluster.airdrop(gateway.operator.pubkey(), int(sol * 10**9))
    gateway.ensure_mint()
    typer.echo(f"operator {gateway.operator.pubkey()} funded; mint {gateway.mint}")


@app.command("put-secrets")
def put_secrets(allow_remote: bool = typer.Option(False, help="Also against a non-local AWS endpoint (sandbox "
                                                              "accounts only: the values are generated test keys)."),
                register: bool = typer.Option(True, help="Register the Amazon Pay public key with the local sandbox.")
                ) -> None:
    """Put the LOCAL SANDBOX gateway credentials into Secrets Manager (Stripe test key, Amazon Pay key pair,
    Solana fee payer): generated once, kept while valid (idempotent); `make up` runs it after Terraform."""
    import os

    import requests

    from smartpay_payment.adapters import secrets as sm
    from smartpay_payment.adapters.gateways import amazon_pay_signing as signing
    from smartpay_payment.config import payment_settings
    from smartpay_shared import aws

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if not allow_remote and not endpoint.startswith(("http://127.0.0.1", "http://localhost")):
        typer.echo(f"refusing: AWS_ENDPOINT_URL={endpoint or '(AWS)'} is not a local emulator; put real "
                   "credentials with `aws secretsmanager put-secret-value` (shapes: docs/payment.md)", err=True)
        raise typer.Exit(2)
    settings = payment_settings()
    client = aws.client("secretsmanager")
    plan = [(settings.stripe_secret_id, sm.sandbox_stripe_secret, sm.valid_stripe),
            (settings.amazon_pay_secret_id, sm.sandbox_amazon_pay_secret, sm.valid_amazon_pay),
            (settings.solana_fee_payer_secret_id, sm.sandbox_fee_payer_secret, sm.valid_fee_payer)]
    amazon = None
    for secret_id, make, valid in plan:
        outcome, value = sm.ensure_secret(client, secret_id, make, valid)
        typer.echo(f"{secret_id}: {outcome}")  # the id and what happened, never the value
        if secret_id == settings.amazon_pay_secret_id:
            amazon = value
    if register and amazon:
        public = signing.public_pem(signing.load_private_key(amazon["private_key"]))
        response = requests.post(f"{settings.amazon_pay_endpoint.rstrip('/')}/__sandbox/keys", timeout=10,
                                 json={"publicKeyId": amazon["public_key_id"], "publicKey": public})
        if response.status_code != 201:
            typer.echo(f"Amazon Pay sandbox refused the public key: HTTP {response.status_code}", err=True)
            raise typer.Exit(1)
        typer.echo(f"Amazon Pay sandbox: public key {amazon['public_key_id']} registered")
