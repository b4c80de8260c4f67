"""IPS, SNIPS and DR against values computed by hand (the arithmetic is in the comments)."""

import json

import pytest

from smartpay_routing.domain.ope import LoggedDecision, doubly_robust, ips, snips
from smartpay_routing.service_layer.evaluation import LogFormatError, read_log

# (action, propensity, reward) over actions (a, b)
LOG = [LoggedDecision({}, ("a", "b"), a, r, p) for a, p, r in
       [("a", 0.5, 1.0), ("b", 0.5, 0.0), ("a", 0.8, 0.0), ("b", 0.2, 1.0)]]


def always_a(rec):
    return [1.0, 0.0]


def uniform(rec):
    return [0.5, 0.5]


def test_ips_deterministic_target():
    # w = [2, 0, 1.25, 0]; w*r = [2, 0, 0, 0]; mean 0.5; sample sd 1 -> half-width 1.959964 * 1 / 2
    est = ips(LOG, always_a)
    assert est.value == pytest.approx(0.5)
    assert (est.ci_low, est.ci_high) == pytest.approx((0.5 - 0.979982, 0.5 + 0.979982), abs=1e-6)
    assert est.n == 4


def test_ips_stochastic_target():
    # w = [1, 1, 0.625, 2.5]; w*r = [1, 0, 0, 2.5] -> 3.5 / 4
    assert ips(LOG, uniform).value == pytest.approx(0.875)


def test_snips():
    # 2 / (2 + 1.25) = 0.615385; delta-method terms w(r - V)/mean(w) = [0.946746, 0, -0.946746, 0],
    # sample sd 0.773015 -> half-width 0.757541
    est = snips(LOG, always_a)
    assert est.value == pytest.approx(2 / 3.25)
    assert est.ci_high - est.value == pytest.approx(0.757541, abs=1e-5)
    assert snips(LOG, uniform).value == pytest.approx(3.5 / 5.125)


def test_doubly_robust_with_a_constant_reward_model():
    # q = 0.5 everywhere: terms 0.5 + w(r - 0.5) = [1.5, 0.5, -0.125, 0.5]; mean 0.59375; sd 0.672178
    est = doubly_robust(LOG, always_a, lambda rec: [0.5, 0.5])
    assert est.value == pytest.approx(0.59375)
    assert est.ci_high - est.value == pytest.approx(0.658722, abs=1e-5)


def test_doubly_robust_with_an_exact_model_has_no_correction():
    # If q(x, logged action) equals the reward, DR is the model's value of the target: here 0.25 per record.
    model = {id(rec): [rec.reward if rec.action == "a" else 0.25, rec.reward if rec.action == "b" else 0.25]
             for rec in LOG}
    est = doubly_robust(LOG, always_a, lambda rec: model[id(rec)])
    assert est.value == pytest.approx((1.0 + 0.25 + 0.0 + 0.25) / 4)


def test_bad_records_are_rejected_with_the_line_number():
    good = {"context": {"amount": 100, "currency": "EUR", "method": "card"}, "actions": ["stripe"],
            "action": "stripe", "reward": 1.0, "propensity": 1.0}
    assert len(read_log([json.dumps(good)])) == 1
    with pytest.raises(LogFormatError, match="line 2: missing field"):
        read_log([json.dumps(good), json.dumps({"context": {}})])
    with pytest.raises(LogFormatError, match="line 1: propensity must be in"):
        read_log([json.dumps({**good, "propensity": 0})])
    with pytest.raises(LogFormatError, match="not among the actions"):
        read_log([json.dumps({**good, "action": "solana"})])
    with pytest.raises(LogFormatError, match="not JSON|Expecting"):
        read_log(["{nope"])
