"""`smartpay fraud ...`: generate data, train + register, evaluate (report + ROC/PR PNGs), list versions,
promote / roll back the served version (operator actions: AWS credentials, no HTTP route)."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from smartpay_fraud import bootstrap
from smartpay_fraud.adapters.dataset_files import read_table, write_table
from smartpay_fraud.config import FraudSettings
from smartpay_fraud.domain.dataset import Dataset, normalise
from smartpay_fraud.domain.errors import FraudError
from smartpay_fraud.domain.synthetic import GeneratorConfig, generate
from smartpay_fraud.domain.promotion import PromotionGuard
from smartpay_fraud.service_layer import evaluation, promotion
from smartpay_fraud.service_layer.batch import score_frame
from smartpay_fraud.service_layer.training import TrainingConfig, TrainingResult, train

app = typer.Typer(help="Fraud model: synthetic data, training, evaluation, registry.", no_args_is_help=True)
console = Console(stderr=True)
# The documented evaluation data (docs/fraud.md), without GraphSAGE: ~15 s. Smaller sets were enough while velocity
# entities were shared across merchants; merchant-scoped, an 800-customer set no longer teaches the model to
# decline a card-testing burst (test_cli_publish checks the quick model does).
QUICK = {"customers": 3000, "days": 30}
DEFAULT_REPORT = Path("docs/reports/fraud")


def _steps(total: int) -> tuple[Progress, Callable[[str], None]]:
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                        console=console)
    task = progress.add_task("starting", total=total)

    def step(message: str) -> None:
        progress.update(task, advance=1, description=message)

    return progress, step


AMOUNT_UNITS_HELP = "Units of the file's amount column: minor (integer cents) or major (12.50). Required with --data."
LABEL_DELAY_HELP = ("Label-delayed windows end this many days before each payment (1-14); also the delay assumed for a "
                    "fraud label without label_known_at.")


def _dataset(data: Path | None, customers: int, days: int, seed: int, amount_units: str | None = None,
             label_delay_days: int = 7) -> tuple[Dataset, dict]:
    if data is not None:
        return normalise(read_table(data), amount_units, label_delay_days), {"file": str(data),
                                                                             "amount_units": amount_units}
    with console.status(f"generating {customers} customers x {days} days (seed {seed})"):
        frame = generate(GeneratorConfig(customers=customers, days=days, seed=seed))
    return normalise(frame, "minor"), {"generator": {"customers": customers, "days": days, "seed": seed}}


def _train(dataset: Dataset, source: dict, cfg: TrainingConfig) -> TrainingResult:
    progress, step = _steps(6 + int(cfg.graph) + int(cfg.graph and cfg.sage))
    with progress:
        return train(dataset, cfg, step, source)


def _ablation_table(result_meta: dict) -> Table:
    table = Table(title=f"holdout ({result_meta['version']}, ships {result_meta['variant']})")
    for col in ("variant", "ROC-AUC", "PR-AUC", "recall@1%FPR", "prec top100/day"):
        table.add_column(col)
    for name, m in result_meta["ablation"].items():
        h = m["holdout"]
        table.add_row(name, *(f"{h[k]:.4f}" for k in evaluation.METRICS))
    return table


def _fail(e: Exception) -> None:
    console.print(f"[red]error:[/red] {e}")
    raise typer.Exit(2)


@app.command("generate")
def generate_cmd(out: Path = typer.Option(..., help="Output .parquet or .csv"),
                 customers: int = 3000, days: int = 30, seed: int = 7) -> None:
    """Write a seeded synthetic transaction file (schema in docs/fraud.md)."""
    frame = generate(GeneratorConfig(customers=customers, days=days, seed=seed))
    write_table(frame, out)
    console.print(f"{len(frame):,} transactions, {frame.is_fraud.mean():.2%} fraud -> {out}")


@app.command("train")
def train_cmd(
    data: Path | None = typer.Option(None, help="Labelled CSV/Parquet; default: generated data."),
    customers: int = 3000, days: int = 30, seed: int = 7,
    quick: bool = typer.Option(False, help="The default generated data set without GraphSAGE: a local model in ~15 s."),
    graph: bool = typer.Option(True, help="Try torch-free graph signals."),
    sage: bool = typer.Option(True, help="Try GraphSAGE node scores (needs the `graph` extra)."),
    publish: bool = typer.Option(False, help="Upload to the S3 registry and move its `latest` pointer."),
    report_dir: Path | None = typer.Option(None, help="Also write the evaluation report here."),
    amount_units: str | None = typer.Option(None, help=AMOUNT_UNITS_HELP),
    label_delay_days: int = typer.Option(7, help=LABEL_DELAY_HELP),
) -> None:
    """Train XGBoost (with and without graph signals), keep the winner, refit it on every labelled row up to
    the holdout, register it (local cache; S3 with --publish)."""
    if quick:
        customers, days, sage = QUICK["customers"], QUICK["days"], False
    try:
        dataset, source = _dataset(data, customers, days, seed, amount_units, label_delay_days)
        # A published model is served: features needing a column serving never receives are left out.
        result = _train(dataset, source, TrainingConfig(seed=seed, sage=sage, graph=graph, serving_only=publish,
                                                        label_delay_days=label_delay_days))
        settings = FraudSettings()
        registry = bootstrap.registry(settings)
        where = registry.publish(result.bundle) if publish else str(registry.save_local(result.bundle))
    except FraudError as e:
        _fail(e)
    console.print(_ablation_table(result.bundle.metadata))
    if report_dir:
        command = "smartpay fraud " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        evaluation.write_report(result.bundle.metadata, result.holdout, report_dir, command)
    console.print(f"registered [bold]{result.bundle.version}[/bold] at {where}")
    print(result.bundle.version)


@app.command("evaluate")
def evaluate_cmd(
    version: str | None = typer.Option(None, help="Re-score a registered version on its own holdout; "
                                                  "default: train from the seed and compare every variant."),
    data: Path | None = typer.Option(None, help="Labelled CSV/Parquet (default: generated)."),
    customers: int = 3000, days: int = 30, seed: int = 7, sage: bool = True,
    report_dir: Path = typer.Option(DEFAULT_REPORT, help="Where report.md, roc.png and pr.png go."),
    amount_units: str | None = typer.Option(None, help=AMOUNT_UNITS_HELP),
    label_delay_days: int = typer.Option(7, help=LABEL_DELAY_HELP),
) -> None:
    """Write the evaluation report (ablation with ROC-AUC, PR-AUC, recall @ 1% FPR, precision top-100/day)."""
    command = "smartpay fraud evaluate " + " ".join(shlex.quote(a) for a in sys.argv[3:] if a)
    try:
        if version is None:
            dataset, source = _dataset(data, customers, days, seed, amount_units, label_delay_days)
            result = _train(dataset, source, TrainingConfig(seed=seed, sage=sage, label_delay_days=label_delay_days))
            report = evaluation.write_report(result.bundle.metadata, result.holdout, report_dir, command.strip())
            console.print(_ablation_table(result.bundle.metadata))
        else:
            bundle = bootstrap.registry(FraudSettings()).load(version)
            src = bundle.metadata["training_data"]["source"]
            if data is None and "generator" in src:
                gen = src["generator"]
                dataset, _ = _dataset(None, gen["customers"], gen["days"], gen["seed"])
            elif data is not None:
                src = bundle.metadata["training_data"]["source"]
                dataset, _ = _dataset(data, 0, 0, 0, amount_units or src.get("amount_units"),
                                      bundle.metadata.get("label_delay_days", 7))
            else:
                raise typer.BadParameter("the model was trained on a file: pass it with --data")
            measured, curve = evaluation.rescore(bundle, dataset)
            report = evaluation.write_report(bundle.metadata, {bundle.metadata["variant"]: curve}, report_dir,
                                             command.strip(), rescored=measured)
            console.print(_ablation_table(bundle.metadata))
            console.print(f"re-scored holdout: {measured}")
    except FraudError as e:
        _fail(e)
    console.print(f"report: {report}")


def _load_model(settings: FraudSettings, version: str):
    """The registered model: from the S3 registry when it answers, else from the local cache a local `train`
    wrote (its `latest` pointer), saying which."""
    try:
        return bootstrap.registry(settings).load(version)
    except FraudError as remote:
        if not settings.model_bucket:
            raise
        local = bootstrap.registry(settings.model_copy(update={"model_bucket": ""}))
        try:
            bundle = local.load(version)
        except FraudError:
            raise remote from None
        console.print(f"[yellow]S3 registry not reachable ({remote}); using the local registry "
                      f"{settings.cache_dir}[/yellow]")
        return bundle


@app.command("score")
def score_cmd(data: Path = typer.Option(..., help="Transactions (CSV/Parquet) to score in batch."),
              out: Path = typer.Option(..., help="Output .csv/.parquet: transaction_id, score, decision."),
              version: str = typer.Option("current", help="Registered version, `current` or `latest` (the S3 "
                                                          "registry, or the local one after a local train)."),
              amount_units: str | None = typer.Option(None, help=AMOUNT_UNITS_HELP.replace(" with --data", ""),
                                                      show_default=False),
              history: Path | None = typer.Option(None, help="Earlier transactions (labelled or not, same schema) "
                                                             "the windows should see; not scored."),
              label_delay_days: int = typer.Option(7, help="Delay assumed for a history fraud label without "
                                                           "label_known_at.")) -> None:
    """Batch-score a file with a registered model (offline features, same definitions as online). The windows
    see only the rows of the file and of --history."""
    try:
        bundle = _load_model(FraudSettings(), version)
        frame = normalise(read_table(data), amount_units, label_delay_days, require_labels=False).frame
        past = None
        if history is not None:
            past = normalise(read_table(history), amount_units, label_delay_days, require_labels=False).frame
        with console.status(f"scoring {len(frame):,} transactions with {bundle.version}"):
            scored = score_frame(bundle, frame, past)
        write_table(scored, out)
    except FraudError as e:
        _fail(e)
    console.print(f"{len(scored):,} scored -> {out}: " + ", ".join(
        f"{k} {v:,}" for k, v in scored["decision"].value_counts().items()))


labels_app = typer.Typer(help="Fraud labels (chargebacks, fraud reports), each with the time it became known.",
                         no_args_is_help=True)
app.add_typer(labels_app, name="labels")


@labels_app.command("import")
def labels_import_cmd(
    labels: Path = typer.Argument(..., help="CSV/Parquet: merchant_id, payment_id (or transaction_id as the "
                                            "service recorded it, <merchant>:<payment id>), known_at; optional "
                                            "is_fraud (rows with 0 are skipped)."),
) -> None:
    """Record fraud labels in the online feature store (Redis), as the payment.disputed / fraud.reported events do:
    payments scored from now on read a label in their label-delayed windows if their time is at or after its
    known_at. Prints one outcome per label kind; exit 2 on a malformed row."""
    from smartpay_fraud.adapters.redis_store import RedisFeatureStore
    from smartpay_fraud.domain.labels import read_labels
    from smartpay_fraud.service_layer.labels import record_labels

    settings = FraudSettings()
    try:
        rows = read_labels(read_table(labels))
        store = RedisFeatureStore.from_url(settings.redis_url, settings.redis_prefix)
        outcomes: dict[str, int] = {}
        progress, step = _steps(len(rows))
        with progress:
            for i in range(0, len(rows), 500):
                chunk = rows[i:i + 500]
                for outcome in record_labels(store, chunk):
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                for _ in chunk:
                    step("recording labels")
    except FraudError as e:
        _fail(e)
    console.print(", ".join(f"{k}: {v:,}" for k, v in sorted(outcomes.items())) or "no fraud labels in the file")


@app.command("versions")
def versions_cmd() -> None:
    """List registered model versions."""
    try:
        for v in bootstrap.registry(FraudSettings()).versions():
            print(v)
    except FraudError as e:
        _fail(e)


def _metric(meta: dict, name: str) -> str:
    value = (meta.get("metrics") or {}).get(name)
    return f"{value:.4f}" if isinstance(value, (int, float)) else "[red]missing[/red]"


@app.command("models")
def models_cmd() -> None:
    """Registered versions with their holdout metrics; marks the promoted (current) and the latest one."""
    try:
        rows = promotion.models(bootstrap.registry(FraudSettings()))
    except FraudError as e:
        _fail(e)
    table = Table(title="fraud models (holdout metrics)")
    table.add_column("version", no_wrap=True)
    for col in ("", "variant", "scheme", "ROC-AUC", "PR-AUC", "recall@1%FPR", "prec top100/day", "rows"):
        table.add_column(col)
    for row in rows:
        m = row.metadata
        marks = " ".join(x for x, on in (("[green]current[/green]", row.current), ("latest", row.latest)) if on)
        table.add_row(row.version, marks, m.get("variant", "?"), m.get("feature_scheme", "[red]sliding[/red]"),
                      *(_metric(m, k) for k in evaluation.METRICS), f"{m.get('training_data', {}).get('rows', 0):,}")
    out = Console()
    Console(width=max(out.width, 150)).print(table)  # piped or narrow: still one line per version


def _guard(settings: FraudSettings, min_roc_auc, min_pr_auc, min_recall, max_drop) -> PromotionGuard:
    return PromotionGuard(
        min_roc_auc=settings.promote_min_roc_auc if min_roc_auc is None else min_roc_auc,
        min_pr_auc=settings.promote_min_pr_auc if min_pr_auc is None else min_pr_auc,
        min_recall_at_1pct_fpr=settings.promote_min_recall_at_1pct_fpr if min_recall is None else min_recall,
        max_pr_auc_drop=settings.promote_max_pr_auc_drop if max_drop is None else max_drop)


@app.command("promote")
def promote_cmd(
    version: str = typer.Argument(..., help="Registered version (or `latest`) to serve."),
    force: bool = typer.Option(False, help="Promote even if metrics are missing or below the guard."),
    reason: str = typer.Option("", help="Why (kept in the pointer's history)."),
    min_roc_auc: float | None = typer.Option(None, help="Guard (default FRAUD_PROMOTE_MIN_ROC_AUC, 0.80)."),
    min_pr_auc: float | None = typer.Option(None, help="Guard (default FRAUD_PROMOTE_MIN_PR_AUC, 0.30)."),
    min_recall: float | None = typer.Option(None, help="Guard on recall at 1% FPR (default 0.30)."),
    max_pr_auc_drop: float | None = typer.Option(None, help="Max PR-AUC drop vs the current version (0.05)."),
) -> None:
    """Point the registry's `current` at VERSION (the service serves it from its next cold start)."""
    settings = FraudSettings()
    try:
        entry = promotion.promote(bootstrap.registry(settings), version,
                                  _guard(settings, min_roc_auc, min_pr_auc, min_recall, max_pr_auc_drop),
                                  force=force, reason=reason)
    except FraudError as e:
        _fail(e)
    forced = " [yellow](forced)[/yellow]" if entry["forced"] else ""
    console.print(f"current: [bold]{entry['version']}[/bold] (was {entry['previous'] or 'none'}){forced}")
    print(entry["version"])


@app.command("rollback")
def rollback_cmd(reason: str = typer.Option("", help="Why (kept in the pointer's history).")) -> None:
    """Point `current` back at the version promoted before the current one."""
    try:
        entry = promotion.rollback(bootstrap.registry(FraudSettings()), reason)
    except FraudError as e:
        _fail(e)
    console.print(f"current: [bold]{entry['version']}[/bold] (rolled back from {entry['previous']})")
    print(entry["version"])


@app.command("package-sagemaker")
def package_sagemaker_cmd(
    version: str = typer.Option("current", help="Registered version, `current` or `latest`."),
    out: Path = typer.Option(Path("model.tar.gz"), help="The model.tar.gz to write (upload it to S3 for "
                                                         "SageMaker's ModelDataUrl)."),
) -> None:
    """Package a registry version as a SageMaker model (layout in docs/fraud.md, Packaging)."""
    import tempfile

    from smartpay_fraud.adapters import sagemaker_package

    try:
        registry = bootstrap.registry(FraudSettings())
        directory = registry.fetch(registry.resolve(version))
        with tempfile.TemporaryDirectory() as tmp:
            path = sagemaker_package.build_tarball(directory, out, Path(tmp))
    except FraudError as e:
        _fail(e)
    console.print(f"{directory.name} -> {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(path)


def _as_users_csv(raw, amount_units: str):
    """A generated table enters the product as a user's file does: written as CSV, read back by `read_table`,
    checked by `normalise` (the third generator leaves empty strings where a CSV has empty cells)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return normalise(read_table(write_table(raw, Path(tmp) / "data.csv")), amount_units)


@app.command("protocol")
def protocol_cmd(
    generator: str = typer.Option("project", help="project (domain/synthetic.py, 49 days), handbook (the second, "
                                                  "independent generator, evaldata/handbook_simulator.py) or "
                                                  "fraud-world (the third, written blind to our fraud code, "
                                                  "evaldata/fraud_world.py; also measured against its truth)."),
    data: Path | None = typer.Option(None, help="A labelled file instead of a generator."),
    amount_units: str | None = typer.Option(None, help=AMOUNT_UNITS_HELP),
    seed: int = 7,
    train_days: int = 14, gap_days: int = 7, test_days: int = 7,
    out: Path | None = typer.Option(None, help="Also write the results as JSON here."),
) -> None:
    """Training window, label-delay gap, test week; known-compromised cards removed per test day; ROC-AUC, average
    precision, card precision@100/day for the shipped learner and logistic-regression / random-forest baselines."""
    import json

    from smartpay_fraud.service_layer import protocol

    truth = None
    try:
        if data is not None:
            dataset, source = normalise(read_table(data), amount_units), {"file": str(data)}
        elif generator == "fraud-world":
            from smartpay_fraud.evaldata.fraud_world import generate_with_truth

            with console.status("simulating (third generator, fraud_world), read back as a user's CSV"):
                raw, truth = generate_with_truth(seed=seed)
                dataset = _as_users_csv(raw, "minor")
                source = {"fraud_world": {"seed": seed, "n_customers": 2000, "days": 63}}
        elif generator == "handbook":
            from smartpay_fraud.evaldata.handbook_simulator import SimulatorConfig, simulate

            with console.status("simulating (second generator)"):
                cfg = SimulatorConfig(seed=seed)
                dataset, source = normalise(simulate(cfg), "major"), {"handbook_simulator": cfg.__dict__}
        elif generator == "project":
            cfg = GeneratorConfig(customers=3000, days=49, seed=seed)
            with console.status("generating (project generator, 49 days)"):
                dataset, source = normalise(generate(cfg), "minor"), {"generator": cfg.__dict__}
        else:
            raise typer.BadParameter("--generator must be project, handbook or fraud-world")
        progress, step = _steps(4)
        with progress:
            result = protocol.run(dataset, protocol.Protocol(train_days, gap_days, test_days, gap_days), seed=seed,
                                  progress=step, truth=truth)
    except FraudError as e:
        _fail(e)
    result = {"source": source, "rows": len(dataset.frame), **result}
    table = Table(title=f"protocol: {json.dumps(result['protocol'])}")
    for col in ("model", "ROC-AUC", "average precision", "card precision@100/day"):
        table.add_column(col)
    for name, m in result["models"].items():
        table.add_row(name, *(f"{v:.4f}" for v in m.values()))
    Console(width=160).print(table)
    if "against_true_fraud" in result:
        for name, m in result["against_true_fraud"]["models"].items():
            console.print(f"{name} against the TRUE fraud flag: ROC-AUC {m['roc_auc']:.4f}, average precision "
                          f"{m['average_precision']:.4f}, card precision@100/day "
                          f"{m['card_precision_at_100_per_day']:.4f}")
    print(json.dumps(result["rows"]))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, default=str) + "\n")
