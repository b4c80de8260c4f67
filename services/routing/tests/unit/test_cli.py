"""`smartpay routing simulate` writes an OPE log and a regret curve; `smartpay routing ope` reads it."""

import json

from typer.testing import CliRunner

from smartpay_routing.entrypoints.cli import app

runner = CliRunner()


def test_simulate_then_ope_on_its_log(tmp_path):
    log, png = tmp_path / "log.jsonl", tmp_path / "regret.png"
    result = runner.invoke(app, ["simulate", "--seeds", "2", "--rounds", "2000", "--png", str(png),
                                 "--log-out", str(log), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert set(summary) == {f"{name}{breaker}" for name in ("static_rules", "random", "success_rate_20pct", "vw_bandit")
                            for breaker in ("", "+breaker")}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    result = runner.invoke(app, ["ope", "--log", str(log), "--policy", "uniform", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    ips = next(e for e in out["estimates"] if e["estimator"] == "ips")
    # the log was written by the uniform random router: importance weights are all 1, IPS = logged mean
    assert abs(ips["value"] - out["logged"]["value"]) < 1e-9

    result = runner.invoke(app, ["ope", "--log", str(log), "--policy", "static"])
    assert result.exit_code == 0 and "snips" in result.output and "dr" in result.output


def test_ope_rejects_a_bad_log_and_an_unknown_policy(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"context": {"amount": 1, "currency": "EUR", "method": "card"}, "actions": ["stripe"], '
                   '"action": "stripe", "reward": 1, "propensity": 1}\n{"action": "stripe"}\n')
    result = runner.invoke(app, ["ope", "--log", str(bad)])
    assert result.exit_code == 2 and "line 2" in result.output and "missing field" in result.output
    bad.write_text(bad.read_text().splitlines()[0] + "\n")
    result = runner.invoke(app, ["ope", "--log", str(bad), "--policy", "nope.vw"])
    assert result.exit_code == 2 and "neither" in result.output
    result = runner.invoke(app, ["simulate", "--outage-gateway", "paypal"])
    assert result.exit_code == 2 and "unknown gateway" in result.output


def test_ope_of_a_checkpoint_file_exploring_and_greedy(tmp_path):
    from smartpay_routing.bootstrap import load_catalog
    from smartpay_routing.config import DEFAULT_CATALOG
    from smartpay_routing.simulation.environment import GatewayEnvironment
    from smartpay_routing.simulation.policies import UniformRandom, VowpalBandit
    from smartpay_routing.simulation.runner import run

    catalog = load_catalog(DEFAULT_CATALOG)
    bandit = VowpalBandit(catalog, seed=3)
    run(GatewayEnvironment(catalog, 3, 3000), bandit)
    model = tmp_path / "model.vw"
    model.write_bytes(bandit.policy.to_bytes())
    log = []
    run(GatewayEnvironment(catalog, 4, 2000), UniformRandom(4), log=log)
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in log))
    values = {}
    for extra in ([], ["--greedy"]):
        result = runner.invoke(app, ["ope", "--log", str(path), "--policy", str(model), "--json", *extra])
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        values[bool(extra)] = {e["estimator"]: e["value"] for e in out["estimates"]}
        assert out["n"] == len(log)
    # a trained checkpoint is estimated to beat the uniform policy that logged the data
    logged = sum(r["reward"] for r in log) / len(log)
    assert values[False]["dr"] > logged and values[True]["dr"] > logged
