"""`smartpay rewards offers evaluate`: compare offer policies offline on a simulated response model (learned VW
policy vs uniform vs the best single offer; OPE on a held-out uniform log and on-policy simulation, with 95 %
intervals). `offers_app` is mounted under the rewards CLI (`app.add_typer(offers_app, name="offers")`)."""

from __future__ import annotations

import json
import math

import typer
from rich.console import Console
from rich.table import Table

from smartpay_rewards.offers import experiment
from smartpay_rewards.offers.simulator import RESPONSE_MODELS

offers_app = typer.Typer(help="Offers: compare offer policies offline.", no_args_is_help=True)
console = Console(stderr=True)


@offers_app.callback()
def offers() -> None:
    """Offers chosen by a contextual bandit: compare offer policies offline."""


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
