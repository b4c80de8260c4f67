"""Offer policies judged with the shared OPE estimators, and the end-to-end comparison (small)."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from smartpay_rewards.offers import experiment
from smartpay_rewards.offers.catalogue import default_catalogue
from smartpay_rewards.offers.cli import offers_app
from smartpay_rewards.offers.evaluation import mean_ci, off_policy, policy_matrix, sample_actions
from smartpay_rewards.offers.features import customer_features
from smartpay_rewards.offers.policy import LoggedOutcome, UniformOfferPolicy
from smartpay_rewards.offers.simulator import LatentSegmentModel, ThresholdResponseModel

CATALOGUE = default_catalogue()


def uniform_log(model, n: int, seed: int):
    cohort = model.customers(n, seed)
    features = [customer_features(h, cohort.now) for h in cohort.histories]
    p = policy_matrix(UniformOfferPolicy(CATALOGUE), features)
    actions = sample_actions(p, seed + 1)
    rewards = model.sample_rewards(cohort, actions, seed + 2)
    return cohort, p, [LoggedOutcome(f, int(a), float(p[i, a]), float(r))
                       for i, (f, a, r) in enumerate(zip(features, actions, rewards))]


@pytest.mark.parametrize("model_type", [LatentSegmentModel, ThresholdResponseModel])
def test_ope_of_uniform_on_uniform_logs_is_its_on_policy_value(model_type):
    model = model_type(CATALOGUE)
    _, p, rows = uniform_log(model, 3000, seed=100)
    ope = off_policy(rows, {"uniform": p}, "uniform")
    found = ope["policies"]["uniform"]
    assert found["estimates"]["ips"]["value"] == pytest.approx(ope["logged_mean"])  # every weight is 1
    assert found["effective_sample_size"] == pytest.approx(3000)
    on_policy_cohort, on_p, _ = uniform_log(model, 3000, seed=200)  # fresh customers, the policy run live
    live = mean_ci(model.sample_rewards(on_policy_cohort, sample_actions(on_p, 7), seed=8))
    truth = model.expected_rewards(on_policy_cohort).mean()
    for estimator in ("ips", "snips", "dr"):
        est = found["estimates"][estimator]
        half = (est["ci95"][1] - est["ci95"][0]) / 2
        live_half = (live["ci95"][1] - live["ci95"][0]) / 2
        assert abs(est["value"] - live["value"]) <= np.hypot(half, live_half)  # the difference's 95 % interval
        assert est["ci95"][0] <= truth <= est["ci95"][1]


def test_margins_are_paired_per_row_differences():
    _, p, rows = uniform_log(LatentSegmentModel(CATALOGUE), 500, seed=1)
    first = np.zeros_like(p)
    first[:, 0] = 1.0
    ope = off_policy(rows, {"uniform": p, "same": p.copy(), "none": first}, "uniform")
    same = ope["margins_over_baseline"]["same"]
    assert same["dr"]["value"] == pytest.approx(0.0, abs=1e-12) and same["ips"]["ci95"] == pytest.approx([0.0, 0.0])
    none = ope["policies"]["none"]
    assert none["effective_sample_size"] < 100 and none["warnings"]  # few rows carry a deterministic policy
    assert "uniform" not in ope["margins_over_baseline"]


def test_off_policy_refuses_what_it_cannot_judge():
    _, p, rows = uniform_log(LatentSegmentModel(CATALOGUE), 60, seed=2)
    with pytest.raises(ValueError, match="baseline"):
        off_policy(rows, {"uniform": p}, "nobody")
    with pytest.raises(ValueError, match="probabilities"):
        off_policy(rows, {"uniform": p, "short": p[:10]}, "uniform")
    with pytest.raises(ValueError, match="too few"):
        off_policy(rows[:5], {"uniform": p[:5]}, "uniform")


def test_the_comparison_end_to_end_and_its_cli():
    result = experiment.run("threshold_response", experiment.ExperimentSettings(400, 400, 400, seed=3))
    assert set(result["ope"]["policies"]) == {"uniform", "learned", "learned_greedy", "best_single"}
    assert set(result["simulation"]["margins_over_baseline"]) == {"learned", "learned_greedy", "best_single"}
    assert result["ope"]["truth"]["oracle"] >= max(result["ope"]["truth"].values()) - 1e-9
    assert result["learned_version"].startswith("offers-vw-")
    out = CliRunner().invoke(offers_app, ["evaluate", "--model", "latent_segments", "--train", "300",
                                          "--held-out", "300", "--simulate", "300", "--json"])
    assert out.exit_code == 0, out.output
    parsed = json.loads(out.stdout)
    assert parsed["response_model"] == "latent_segments" and parsed["simulation"]["n"] == 300
    bad = CliRunner().invoke(offers_app, ["evaluate", "--model", "nope"])
    assert bad.exit_code == 2 and "unknown response model" in bad.output
    bad = CliRunner().invoke(offers_app, ["evaluate", "--exploration", "softmax"])
    assert bad.exit_code == 2
