"""The estimators against values worked out by hand (arithmetic in the comments), their intervals and
diagnostics, and the streaming machinery: chunking changes nothing, the bootstrap is seeded."""

import math

import numpy as np
import pytest

from smartpay_routing.domain.ope import Accumulator, EstimatorSettings, LoggedDecision, diagnose, row_terms
from smartpay_routing.service_layer.candidates import Candidate
from smartpay_routing.service_layer.evaluation import OpeSettings, RecordList, evaluate

# (action, propensity, reward) over actions (a, b); the candidate always picks a
W = np.array([2.0, 0.0, 1.25, 0.0])  # pi(a)/p: 1/0.5, 0/0.5, 1/0.8, 0/0.2
R = np.array([1.0, 0.0, 0.0, 1.0])
P = np.array([0.5, 0.5, 0.8, 0.2])
Q = np.full(4, 0.5)  # a constant reward model: q = 0.5 for every action, so dm = 0.5


def run(settings=EstimatorSettings(bootstrap=0), w=W, r=R, q=Q):
    acc = Accumulator(len(w), settings)
    acc.add(row_terms(w, r, q, q, q, settings), P)
    logged, estimates = acc.estimates()
    return acc, logged, {e.estimator: e for e in estimates}


def test_ips_snips_dm_dr_by_hand():
    _, logged, est = run()
    assert logged.value == pytest.approx(0.5)
    # IPS: w r = [2, 0, 0, 0]; mean 0.5; sample sd 1 -> half-width 1.959964 / 2
    assert est["ips"].value == pytest.approx(0.5)
    assert est["ips"].ci95 == pytest.approx((0.5 - 0.979982, 0.5 + 0.979982), abs=1e-6)
    # SNIPS: 2 / 3.25; delta-method terms w (r - V) / mean(w) = [0.946746, 0, -0.946746, 0], sd 0.773015
    assert est["snips"].value == pytest.approx(2 / 3.25)
    assert est["snips"].ci95[1] - est["snips"].value == pytest.approx(0.757541, abs=1e-5)
    assert est["dm"].value == pytest.approx(0.5)
    # DR: 0.5 + w (r - 0.5) = [1.5, 0.5, -0.125, 0.5]; mean 0.59375; sd 0.672178 -> half-width 0.658722
    assert est["dr"].value == pytest.approx(0.59375)
    assert est["dr"].ci95[1] - est["dr"].value == pytest.approx(0.658722, abs=1e-5)


def test_dr_os_and_switch_dr_by_hand():
    _, _, est = run(EstimatorSettings(bootstrap=0, shrinkage=1.0, switch_tau=1.5))
    # DR-OS, lambda 1: w_s = w / (w^2 + 1) = [0.4, 0, 0.487805, 0];
    # terms [0.5 + 0.4*0.5, 0.5, 0.5 - 0.487805*0.5, 0.5] = [0.7, 0.5, 0.256098, 0.5]; mean 0.489024
    assert est["dr_os"].value == pytest.approx(1.956098 / 4, abs=1e-6)
    # switch-DR, tau 1.5: the row with w = 2 keeps DM only: [0.5, 0.5, 0.5 - 1.25*0.5, 0.5]; mean 0.34375
    assert est["switch_dr"].value == pytest.approx(0.34375)
    # large lambda and tau: both are DR
    _, _, est = run(EstimatorSettings(bootstrap=0, shrinkage=1e12, switch_tau=1e9))
    assert est["dr_os"].value == pytest.approx(0.59375) and est["switch_dr"].value == pytest.approx(0.59375)


def test_clipping_and_diagnostics():
    acc, _, est = run(EstimatorSettings(bootstrap=0, clip=1.5))
    # w~ = [1.5, 0, 1.25, 0]: IPS 1.5/4, SNIPS 1.5/2.75
    assert est["ips"].value == pytest.approx(0.375)
    assert est["snips"].value == pytest.approx(1.5 / 2.75)
    found, warnings = diagnose(acc, folds=2)
    # ESS = (sum w)^2 / sum w^2 = 3.25^2 / (4 + 1.5625)
    assert found["effective_sample_size"] == pytest.approx(3.25**2 / 5.5625)
    assert found["max_weight"] == 2.0 and found["min_propensity"] == 0.2
    assert found["clipped_share"] == pytest.approx(0.25)
    assert any("clipping at 1.5 changed 25.0%" in w for w in warnings)
    assert any("effective sample size 2 of 4" in w for w in warnings)


def test_a_candidate_that_never_agrees_with_the_logger_leaves_snips_undefined():
    _, _, est = run(w=np.zeros(4))
    assert est["snips"].value is None and est["snips"].to_dict()["ci95"] is None
    assert est["ips"].value == 0.0


def test_warnings_stay_quiet_on_a_healthy_log():
    rng = np.random.default_rng(1)
    n = 5000
    p = np.full(n, 0.5)
    w = rng.integers(0, 2, n) * 2.0  # uniform logger over 2 actions, candidate deterministic: w in {0, 2}
    r = rng.random(n)
    settings = EstimatorSettings(bootstrap=0)
    acc = Accumulator(n, settings)
    acc.add(row_terms(w, r, r * 0.9, r * 0.9, np.full(n, r.mean()), settings), p)
    found, warnings = diagnose(acc, folds=5)
    assert warnings == []
    assert found["effective_sample_size"] == pytest.approx(n / 2, rel=0.05)


def test_bootstrap_is_seeded_and_agrees_with_the_normal_interval_on_a_large_sample():
    rng = np.random.default_rng(7)
    n = 50_000  # more rows than MAX_BLOCKS: blocks of 3 rows
    w, r = rng.exponential(1.0, n), rng.random(n)
    p = np.full(n, 0.5)

    def intervals(seed):
        settings = EstimatorSettings(bootstrap=400, seed=seed)
        acc = Accumulator(n, settings)
        for start in range(0, n, 4096):
            s = slice(start, start + 4096)
            acc.add(row_terms(w[s], r[s], r[s] * 0, r[s] * 0, r[s] * 0, settings), p[s])
        assert acc.block == 3
        return {e.estimator: e for e in acc.estimates()[1]}

    a, b, c = intervals(1), intervals(1), intervals(2)
    assert a["ips"].bootstrap_ci95 == b["ips"].bootstrap_ci95
    assert a["ips"].bootstrap_ci95 != c["ips"].bootstrap_ci95
    for name in ("ips", "snips"):
        normal, boot = a[name].ci95, a[name].bootstrap_ci95
        assert boot[0] < a[name].value < boot[1]
        assert (boot[1] - boot[0]) == pytest.approx(normal[1] - normal[0], rel=0.15)


class AlwaysFirst(Candidate):
    def probabilities(self, line, record):
        return [1.0] + [0.0] * (len(record.actions) - 1)


def records(n, seed=3):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        a = int(rng.integers(0, 3))
        colour = str(rng.choice(["red", "green", "blue"]))
        reward = float((colour == "red") == (a == 0)) + 0.1 * float(rng.normal())
        out.append(LoggedDecision({"colour": colour, "size": float(rng.random())}, ("x", "y", "z"),
                                  ("x", "y", "z")[a], reward, 1 / 3))
    return out


def test_chunk_size_changes_nothing():
    log = records(3000)
    small = evaluate(RecordList(log), AlwaysFirst(), OpeSettings(chunk_rows=7))
    large = evaluate(RecordList(log), AlwaysFirst(), OpeSettings(chunk_rows=4096))
    for a, b in zip(small["estimates"], large["estimates"], strict=True):
        assert a["value"] == pytest.approx(b["value"], abs=1e-12)
        assert a["bootstrap_ci95"] == pytest.approx(b["bootstrap_ci95"], abs=1e-12)


def test_dr_beats_ips_noise_and_all_estimators_cover_the_truth():
    # truth of "always x": reward 1 when colour is red (1/3 of rows), else 0, plus noise: 1/3
    out = evaluate(RecordList(records(6000)), AlwaysFirst())
    est = {e["estimator"]: e for e in out["estimates"]}
    for name in ("dm", "ips", "snips", "dr", "dr_os", "switch_dr"):
        lo, hi = est[name]["ci95"]
        assert lo <= 1 / 3 <= hi, (name, est[name])
        lo, hi = est[name]["bootstrap_ci95"]
        assert lo <= 1 / 3 <= hi, (name, est[name])
    width = {name: est[name]["ci95"][1] - est[name]["ci95"][0] for name in est}
    # with q exact, DR keeps the spread of the true value (sd 0.47) and drops the weights' (IPS sd 0.94)
    assert width["dr"] < 0.6 * width["ips"]
    assert out["diagnostics"]["q_model"]["out_of_fold_r2"] > 0.8
    assert math.isclose(out["diagnostics"]["mean_weight"], 1.0, abs_tol=0.05)
