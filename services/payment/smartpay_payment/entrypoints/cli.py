"""`smartpay payment ...`: the sweeper (once or as a loop for the local stack) and the local sandboxes."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import typer

app = typer.Typer(help="Payment saga: sweeper and local gateway sandboxes.", no_args_is_help=True)
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
def reconcile(payment_ids: list[str] = typer.Argument(None, help="Payments to check (default: all).")) -> None:
    """Compare each payment's record with what its gateways hold; exit 1 on any drift."""
    from smartpay_payment import bootstrap
    from smartpay_payment.service_layer.reconcile import reconcile as check

    saga = bootstrap.service().saga
    repo = saga.store.repo
    stored = [repo.get(pid) for pid in payment_ids] if payment_ids else repo.all()
    drift = 0
    for item in filter(None, stored):
        result = check(saga, item.payment)
        drift += not result.ok
        typer.echo(f"{'ok   ' if result.ok else 'DRIFT'} {result.payment_id} record {result.record_captured}/"
                   f"{result.record_refunded} gateway {result.gateway_captured}/{result.gateway_refunded} "
                   f"charges={result.charges}")
    raise typer.Exit(1 if drift else 0)


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
