"""`smartpay routing ...`: off-policy evaluation of a candidate policy and the gateway simulator."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from smartpay_routing.bootstrap import load_catalog
from smartpay_routing.config import DEFAULT_CATALOG
from smartpay_routing.service_layer import evaluation
from smartpay_routing.simulation import benchmark

app = typer.Typer(help="Routing: off-policy evaluation and the gateway simulator.", no_args_is_help=True)
console = Console()


@app.command()
def ope(log: Path = typer.Option(..., exists=True, dir_okay=False, help="Decision log (JSON lines)."),
        policy: str = typer.Option("static", help="static | uniform | path to a VW checkpoint (.vw)."),
        greedy: bool = typer.Option(False, help="Evaluate a checkpoint's greedy choice, not its exploring pmf."),
        catalog: Path = typer.Option(DEFAULT_CATALOG, exists=True, help="Gateway catalog (for features)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Estimate a candidate policy's mean reward from logged decisions (IPS, SNIPS, DR with 95% CIs)."""
    try:
        with log.open() as f:
            records = evaluation.read_log(f, str(log))
        result = evaluation.evaluate(records, evaluation.candidate(policy, load_catalog(catalog), greedy))
    except ValueError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from e
    result["policy"] = policy
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table(title=f"OPE of {policy} on {result['n']} logged decisions")
    for column in ("estimator", "value", "95% CI"):
        table.add_column(column)
    for est in [result["logged"], *result["estimates"]]:
        table.add_row(est["estimator"], f"{est['value']:.4f}", f"[{est['ci95'][0]:.4f}, {est['ci95'][1]:.4f}]")
    console.print(table)


@app.command()
def simulate(seeds: int = typer.Option(3, min=1, max=10), rounds: int = typer.Option(20000, min=2000),
             outage_gateway: str = typer.Option("stripe", help="Gateway that goes down mid-run."),
             png: Path = typer.Option(Path("regret_curve.png"), help="Where to write the regret curve."),
             log_out: Path | None = typer.Option(None, help="Write the random policy's decisions as an OPE log."),
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Compare static rules, random, success-rate (20% exploration) and the VW bandit on the simulator."""
    catalog = load_catalog(DEFAULT_CATALOG)
    if outage_gateway not in catalog.gateways:
        console.print(f"[red]error:[/red] unknown gateway {outage_gateway!r}; catalog: {sorted(catalog.gateways)}")
        raise typer.Exit(2)
    with Progress(console=console, transient=True) as progress:
        result = benchmark.compare(catalog, list(range(1, seeds + 1)), rounds, outage_gateway, progress,
                                   png=png, log_out=log_out)
    if as_json:
        typer.echo(json.dumps(result["summary"], indent=2))
        return
    console.print(benchmark.table(result["summary"], f"{seeds} seed(s) x {rounds} decisions, "
                                                     f"{outage_gateway} outage"))
    console.print(f"regret curve: {png}")
