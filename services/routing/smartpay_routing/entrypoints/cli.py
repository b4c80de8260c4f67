"""`smartpay routing ...`: off-policy evaluation of a candidate policy and the gateway simulator."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from smartpay_routing.adapters.decision_log import JsonlDecisionLog
from smartpay_routing.bootstrap import load_catalog
from smartpay_routing.config import DEFAULT_CATALOG
from smartpay_routing.domain import ope as ope_domain
from smartpay_routing.service_layer import candidates, evaluation
from smartpay_routing.simulation import benchmark

app = typer.Typer(help="Routing: off-policy evaluation and the gateway simulator.", no_args_is_help=True)
console = Console()


class _Bars:
    """ProgressSink on rich progress bars (stderr, so --json output stays clean)."""

    def __init__(self, progress: Progress):
        self._progress = progress

    def task(self, description: str, total: int | None):
        task = self._progress.add_task(description, total=total)
        return lambda n: self._progress.advance(task, n)


def _finite(value):
    """JSON has no NaN or Infinity: any non-finite number becomes null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _number(value) -> str:
    return f"{value:.4f}" if value is not None else "-"


def _interval(pair) -> str:
    return f"[{pair[0]:.4f}, {pair[1]:.4f}]" if pair else "-"


@app.command()
def ope(log: Path = typer.Option(..., exists=True, dir_okay=False,
                                 help="Decision log: JSON lines, plain or gzip (told by content, not name)."),
        policy: str = typer.Option("static", help="static | uniform | field:<key> (probabilities in each log "
                                                  "line) | a JSON-lines file of per-row probabilities | a VW "
                                                  "checkpoint."),
        greedy: bool = typer.Option(False, help="Evaluate a checkpoint's greedy choice, not its exploring pmf."),
        catalog: Path = typer.Option(DEFAULT_CATALOG, exists=True, help="Gateway catalog (checkpoint features)."),
        clip: float | None = typer.Option(None, min=0.0, help="Clip importance weights at this value (IPS, SNIPS, "
                                                               "DR)."),
        shrinkage: float = typer.Option(1e4, min=0.0, help="DR-OS shrinkage lambda."),
        switch_tau: float = typer.Option(100.0, min=0.0, help="switch-DR: DR's correction only where w <= tau."),
        folds: int = typer.Option(5, min=2, max=20, help="Cross-fitting folds of the reward model."),
        q_bits: int = typer.Option(8, min=2, max=16, help="Hashed context features: 2^bits per action."),
        l2: float | None = typer.Option(None, min=0.0, help="Ridge penalty of the reward model (default: chosen "
                                                             "per fold by cross-validation inside the other folds)."),
        q_memory_mb: int = typer.Option(256, min=1, help="Cap on the reward model's statistics."),
        bootstrap: int = typer.Option(1000, min=0, help="Bootstrap replicates (0: analytic intervals only)."),
        seed: int = typer.Option(0, min=0, help="Seed of the folds and of the bootstrap."),
        progress: bool = typer.Option(True, help="Progress bars on stderr."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Estimate a candidate policy's mean reward from logged decisions: DM, IPS, SNIPS, DR, DR-OS and
    switch-DR with analytic and bootstrap 95% intervals, weight diagnostics and warnings."""
    err = Console(stderr=True)
    try:
        settings = evaluation.OpeSettings(
            ope_domain.EstimatorSettings(clip=clip, shrinkage=shrinkage, switch_tau=switch_tau,
                                         bootstrap=bootstrap, seed=seed),
            folds=folds, q_bits=q_bits, l2=l2, q_memory_mb=q_memory_mb)
        resolved = candidates.resolve(policy, load_catalog(catalog), greedy)
        source = JsonlDecisionLog(log, resolved.record_field)
        with Progress(console=err, transient=True, disable=not progress) as bars:
            result = evaluation.evaluate(source, resolved.candidate, settings, _Bars(bars))
    except (ValueError, OSError) as e:
        err.print(f"[red]error:[/red] {e}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from e
    result = _finite({"policy": policy, **result})
    if as_json:
        typer.echo(json.dumps(result, indent=2, allow_nan=False))
        return
    table = Table(title=f"OPE of {policy} on {result['n']} logged decisions")
    for column in ("estimator", "value", "95% CI (normal)", "95% CI (bootstrap)"):
        table.add_column(column)
    for est in [result["logged"], *result["estimates"]]:
        value = f"{est['value']:.4f}" if est["value"] is not None else "undefined"
        table.add_row(est["estimator"], value, _interval(est["ci95"]), _interval(est["bootstrap_ci95"]))
    console.print(table)
    d = result["diagnostics"]
    console.print(f"effective sample size {d['effective_sample_size']:.0f} of {result['n']}, mean weight "
                  f"{d['mean_weight']:.4f}, max weight {d['max_weight']:.4g}, min propensity "
                  f"{d['min_propensity']:.3g}; reward model out-of-fold R2 {_number(d['q_model']['out_of_fold_r2'])}")
    for warning in result["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)


@app.command("package-sagemaker")
def package_sagemaker_cmd(
    checkpoint: str = typer.Option("latest", help="Checkpoint id in the checkpoint bucket, or `latest`."),
    out: Path = typer.Option(Path("model.tar.gz"), help="The model.tar.gz to write."),
    upload: bool = typer.Option(False, help="Also put it in the checkpoint bucket under "
                                            "`<prefix>sagemaker/<checkpoint>/model.tar.gz` (SageMaker's "
                                            "ModelDataUrl); prints the s3:// URI."),
) -> None:
    """Package a policy checkpoint as a SageMaker model (layout and deployment in docs/routing.md, SageMaker)."""
    import tempfile

    from smartpay_shared import aws

    from smartpay_routing.adapters import sagemaker_package
    from smartpay_routing.adapters.s3_checkpoints import S3CheckpointStore
    from smartpay_routing.config import RoutingSettings
    from smartpay_routing.domain.errors import CheckpointError

    err = Console(stderr=True)
    settings = RoutingSettings()
    store = S3CheckpointStore(aws.client("s3"), settings.bucket, settings.checkpoint_prefix)
    try:
        if checkpoint == "latest":
            latest = store.latest()
            if latest is None:
                raise CheckpointError(f"no checkpoint yet in s3://{settings.bucket}/{settings.checkpoint_prefix}")
            checkpoint, model, metadata = latest
        else:
            model, metadata = store.get(checkpoint)
        with tempfile.TemporaryDirectory() as tmp:
            path = sagemaker_package.build_tarball(checkpoint, model, metadata, out, Path(tmp))
        uri = store.put_artifact(f"sagemaker/{checkpoint}/model.tar.gz", path.read_bytes()) if upload else None
    except (CheckpointError, ValueError, OSError) as e:
        err.print(f"[red]error:[/red] {e}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from e
    err.print(f"{checkpoint} -> {path} ({path.stat().st_size / 1e6:.1f} MB)" + (f" -> {uri}" if uri else ""))
    print(uri or path)


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
