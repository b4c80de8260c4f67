"""`smartpay rewards offers ...` (`offers_app`, mounted by the rewards CLI):

- `train`: the learning loop on the deployed tables (service_layer/offer_training.py): the decision log joined
  with the ledger's outcomes, a VW policy trained on the older decisions and judged against the logging and
  the uniform policy on the newer ones (OPE), and with `--publish` its checkpoint put in S3 for the API's
  next cold start, only when it was shown better (or with `--force`).
- `evaluate`: compare offer policies offline on a simulated response model (learned VW policy vs uniform vs
  the best single offer; OPE on a held-out uniform log and on-policy simulation, with 95 % intervals)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from smartpay_rewards.offers.simulator import RESPONSE_MODELS

offers_app = typer.Typer(help="Offers: learn the offer policy from the decision log; compare policies offline.",
                         no_args_is_help=True)
console = Console(stderr=True)


@offers_app.callback()
def offers() -> None:
    """Offers chosen by a contextual bandit: learn from the decision log, compare policies offline."""


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _cell(found: dict) -> str:
    low, high = found["ci95"]
    return f"{found['value']:.3f} [{low:.3f}, {high:.3f}]"


def _table(result: dict) -> Table:
    ope, sim = result["ope"], result["simulation"]
    table = Table(title=f"{result['response_model']}: mean reward per customer (95 % CI); margin over uniform")
    for column in ("policy", "truth (eval)", "IPS", "SNIPS", "DR", "simulated", "DR margin", "simulated margin"):
        table.add_column(column)
    for name, found in ope["policies"].items():
        est = found["estimates"]
        ope_margin = ope["margins_over_baseline"].get(name, {}).get("dr")
        sim_margin = sim["margins_over_baseline"].get(name, {}).get("realised")
        table.add_row(name, f"{ope['truth'][name]:.3f}", _cell(est["ips"]), _cell(est["snips"]), _cell(est["dr"]),
                      _cell(sim["policies"][name]["realised"]), _cell(ope_margin) if ope_margin else "-",
                      _cell(sim_margin) if sim_margin else "-")
    return table


@offers_app.command()
def evaluate(model: str = typer.Option("latent_segments", help=f"Response model: {' | '.join(RESPONSE_MODELS)}."),
             train: int = typer.Option(20_000, min=50, help="Customers in the uniform log the policies learn from."),
             held_out: int = typer.Option(60_000, min=50, help="Customers in the held-out uniform log (OPE)."),
             simulate: int = typer.Option(20_000, min=50, help="Fresh customers for the on-policy simulation."),
             exploration: str = typer.Option("epsilon", help="epsilon | squarecb"),
             epsilon: float = typer.Option(0.1, min=0.0, max=1.0, help="Exploration share (epsilon-greedy)."),
             seed: int = typer.Option(1),
             as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON.")) -> None:
    """Learn an offer policy from a uniform log and judge it against uniform and the best single offer."""
    from smartpay_rewards.offers import experiment

    if model not in RESPONSE_MODELS:
        raise typer.BadParameter(f"unknown response model {model!r} (one of {', '.join(RESPONSE_MODELS)})",
                                 param_hint="--model")
    try:
        settings = experiment.ExperimentSettings(train, held_out, simulate, exploration, epsilon, seed=seed)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    result = experiment.run(model, settings, say=lambda message: console.print(f"[dim]{message}[/dim]"))
    if as_json:
        typer.echo(json.dumps(_finite(result), indent=2))
    else:
        Console().print(_table(result))


def _when(value: str | None, name: str, default: datetime | None = None) -> datetime:
    """An ISO 8601 date or time; without a zone, UTC."""
    if value is None:
        if default is None:
            raise typer.BadParameter("required", param_hint=name)
        return default
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 date or time: {value!r}", param_hint=name) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _train_table(found: dict) -> Table:
    ope, held = found["ope"], found["held_out"]
    table = Table(title=f"offer policies on the {held['decisions']} newest decisions ({held['first'][:16]} to "
                        f"{held['last'][:16]}): mean reward per decision, 95 % CI")
    for column in ("policy", "IPS", "SNIPS", "DR", "effective sample", "DR margin over logging", "warnings"):
        table.add_column(column)
    for name, got in ope["policies"].items():
        est = got["estimates"]
        margin = ope["margins_over_baseline"].get(name, {}).get("dr")
        table.add_row(name, _cell(est["ips"]), _cell(est["snips"]), _cell(est["dr"]),
                      f"{got['effective_sample_size']:.0f}", _cell(margin) if margin else "-",
                      str(len(got["warnings"])))
    return table


@offers_app.command()
def train(since: str = typer.Option(..., help="Decisions made from this time (ISO 8601; UTC without a zone)."),
          until: str = typer.Option(..., help="... until before this time."),
          as_of: str | None = typer.Option(None, help="Judge outcome windows as of this time (default: now); a "
                                           "decision whose window has not elapsed by then is left out."),
          merchant: str | None = typer.Option(None, help="Only this merchant's decisions (default: all)."),
          held_out: float = typer.Option(0.3, min=0.05, max=0.95, help="The newest share of the decisions, "
                                         "held out for the evaluation (not trained on)."),
          exploration: str = typer.Option("epsilon", help="epsilon | squarecb"),
          epsilon: float = typer.Option(0.1, min=0.0, max=1.0, help="Exploration share (epsilon-greedy)."),
          learning_rate: float | None = typer.Option(None, min=1e-6, max=10.0, help="VW's learning rate "
                                                     "(default 0.005: chosen for logs of tens of thousands of "
                                                     "decisions; a first log of hundreds may want 0.05)."),
          passes: int = typer.Option(1, min=1, max=20, help="Passes over the training decisions."),
          seed: int = typer.Option(0),
          publish: str | None = typer.Option(None, help="Put the checkpoint here (s3://bucket/key) when the "
                                             "learned policy is shown better than the logging policy."),
          force: bool = typer.Option(False, "--force", help="Publish even when it is not shown better."),
          as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON.")) -> None:
    """Join the decision log with the ledger, train an offer policy, judge it (OPE) and maybe publish it.
    Exit 1 when --publish is refused; 2 on bad input or too few decisions."""
    from smartpay_shared import aws

    from smartpay_rewards.adapters.decision_log import DynamoDecisionLog
    from smartpay_rewards.adapters.dynamodb import DynamoUnitOfWork
    from smartpay_rewards.adapters.offer_model_store import S3OfferModelStore, parse_s3_uri
    from smartpay_rewards.config import rewards_settings
    from smartpay_rewards.offers.catalogue import default_catalogue
    from smartpay_rewards.service_layer import offer_training as training

    start, end = _when(since, "--since"), _when(until, "--until")
    now = _when(as_of, "--as-of", datetime.now(UTC))
    if not start < end:
        raise typer.BadParameter("--since must be before --until", param_hint="--since")
    if publish is not None:
        try:
            parse_s3_uri(publish)
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="--publish") from None
    try:
        rate = {} if learning_rate is None else {"learning_rate": learning_rate}
        settings = training.TrainingSettings(held_out, exploration, epsilon, passes=passes, seed=seed, **rate)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    config = rewards_settings()
    dynamodb = aws.client("dynamodb")
    catalogue = default_catalogue()

    def say(message: str) -> None:
        console.print(f"[dim]{message}[/dim]")

    say(f"joining the decisions of {config.offer_decisions_table} made in [{start.isoformat()}, {end.isoformat()}) "
        f"with {config.ledger_table}, windows as of {now.isoformat()}")
    joined = training.join_outcomes(
        DynamoDecisionLog(dynamodb, config.offer_decisions_table),
        lambda: DynamoUnitOfWork(dynamodb, config.ledger_table, config.accounts_table), catalogue,
        since=start, until=end, as_of=now, merchant_id=merchant)
    say(f"{joined.read} decisions read, {len(joined.decisions)} joined, left out: {joined.excluded or 'none'}")
    try:
        result = training.train_and_evaluate(joined, catalogue, settings, say=say)
    except training.NotEnoughDecisions as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    found = training.report(joined, result, catalogue)
    published = training.publish(result, found, S3OfferModelStore(aws.client("s3")), publish, force=force).uri
    if as_json:
        typer.echo(json.dumps(_finite(found), indent=2))
    else:
        Console().print(_train_table(found))
        for name, got in found["ope"]["policies"].items():
            for warning in got["warnings"]:
                console.print(f"[yellow]{name}: {warning}[/yellow]")
    verdict_line = ("publishable: " if result.verdict.publishable else "not publishable: ") + result.verdict.reason
    console.print(verdict_line)
    if published:
        console.print(f"published {result.version} to {published}" + (" (forced)" if found["published"]["forced"]
                                                                       else ""))
        if config.offer_model_s3_uri != published:
            console.print(f"[yellow]the API reads REWARDS_OFFER_MODEL_S3_URI={config.offer_model_s3_uri or '(empty)'}"
                          f": set Terraform's offer_model_s3_uri to {published} for it to serve this model[/yellow]")
    elif publish is not None:
        console.print(f"[red]not published to {publish} (--force to publish anyway)[/red]")
        raise typer.Exit(1)
