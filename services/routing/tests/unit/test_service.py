"""The learning loop with in-memory stores and the real VW policy: decisions stored once, outcomes learnt
once, checkpoints every N updates, restore continues where the checkpoint left off."""

import random

import pytest

from smartpay_routing.adapters.memory import InMemoryCheckpointStore, InMemoryDecisionStore, InMemoryHealthStore
from smartpay_routing.adapters.vw_policy import Exploration, VowpalPolicy, checkpoint_id_for
from smartpay_routing.domain.health import HealthConfig
from smartpay_routing.domain.model import Outcome
from smartpay_routing.domain.router import Router
from smartpay_routing.service_layer.routing import RoutingService

CFG = HealthConfig()


def build(catalog, policy=None, checkpoints=None, every=3):
    policy = policy or VowpalPolicy(Exploration("epsilon", 0.1))
    return RoutingService(Router(catalog, policy, CFG), policy, InMemoryHealthStore(CFG), InMemoryDecisionStore(),
                          checkpoints or InMemoryCheckpointStore(), checkpoint_id_for=checkpoint_id_for,
                          checkpoint_every=every, clock=lambda: 1000.0, rng=random.Random(1))


def test_select_route_is_idempotent_per_payment_attempt(catalog, ctx):
    svc = build(catalog)
    first = svc.select_route("pay_00000001", 1, ctx())
    assert all(svc.select_route("pay_00000001", 1, ctx())["gateway"] == first["gateway"] for _ in range(20))
    assert svc.select_route("pay_00000001", 2, ctx(), frozenset({first["gateway"]}))["gateway"] != first["gateway"]


def test_duplicate_outcomes_do_not_train_twice(catalog, ctx):
    svc = build(catalog, every=100)
    record = svc.select_route("pay_00000001", 1, ctx())
    outcome = Outcome("pay_00000001", 1, record["gateway"], approved=True, gateway_error=False, latency_ms=300)
    assert svc.record_outcome(outcome) == "learned"
    model_after_one = svc.policy.to_bytes()
    assert svc.record_outcome(outcome) == "duplicate"
    assert svc.policy.total_updates == 1 and svc.policy.to_bytes() == model_after_one
    assert svc.health.snapshot(["stripe", "amazon_pay", "solana"], 1000.0)[record["gateway"]].window.attempts == 1


def test_a_failed_learning_step_releases_the_claim(catalog, ctx):
    svc = build(catalog)
    record = svc.select_route("pay_00000001", 1, ctx())

    def broken(*args):
        raise RuntimeError("boom")

    svc.policy.learn = broken
    outcome = Outcome("pay_00000001", 1, record["gateway"], True, False, 300)
    with pytest.raises(RuntimeError):
        svc.record_outcome(outcome)
    del svc.policy.learn
    assert svc.record_outcome(outcome) == "learned"  # the redelivery is not lost


def test_outcome_without_decision_or_for_another_gateway_only_feeds_health(catalog, ctx):
    svc = build(catalog)
    assert svc.record_outcome(Outcome("pay_UNKNOWN01", 1, "stripe", False, True, 5000)) == "no_decision"
    record = svc.select_route("pay_00000001", 1, ctx())
    other = next(g for g in record["candidates"] if g != record["gateway"])
    assert svc.record_outcome(Outcome("pay_00000001", 1, other, True, False, 300)) == "gateway_mismatch"
    assert svc.policy.total_updates == 0


def test_checkpoint_every_n_updates_with_the_decision_log(catalog, ctx):
    checkpoints = InMemoryCheckpointStore()
    svc = build(catalog, checkpoints=checkpoints, every=3)
    for i in range(7):
        rec = svc.select_route(f"pay_{i:08d}", 1, ctx(amount=1000 + i))
        svc.record_outcome(Outcome(f"pay_{i:08d}", 1, rec["gateway"], i % 2 == 0, False, 400))
    assert len(checkpoints.saved) == 2
    checkpoint_id, model, metadata, log = checkpoints.saved[-1]
    assert checkpoint_id.startswith("vw-00000006-") and metadata["total_updates"] == 6 and len(log) == 3
    assert set(log[0]) == {"context", "actions", "action", "propensity", "reward", "policy_version"}
    assert svc.policy.version == checkpoint_id + "+1"


def test_restored_policy_predicts_and_learns_exactly_like_the_original(catalog, ctx):
    original = VowpalPolicy(Exploration("squarecb"))
    svc = build(catalog, policy=original)
    for i in range(50):
        rec = svc.select_route(f"pay_{i:08d}", 1, ctx(amount=1000 + 37 * i, risk_score=(i % 10) / 10))
        svc.record_outcome(Outcome(f"pay_{i:08d}", 1, rec["gateway"], i % 3 != 0, False, 400))
    restored = VowpalPolicy(Exploration("squarecb"), model=original.to_bytes())
    probe = svc.select_route("pay_PROBE0001", 1, ctx())
    shared, actions = probe["shared"], probe["actions"]
    assert max(original.distribution(shared, actions)) > 0.5  # it learnt something: not the uniform start
    assert restored.distribution(shared, actions) == pytest.approx(original.distribution(shared, actions), abs=1e-6)
    for p in (original, restored):
        p.learn(shared, actions, 0, -1.0, 0.5)
    assert restored.distribution(shared, actions) == pytest.approx(original.distribution(shared, actions), abs=1e-6)


def test_health_store_down_routes_without_the_guard_instead_of_failing(catalog, ctx):
    from smartpay_routing.service_layer.ports import StoreUnavailable

    svc = build(catalog)

    def down(*args):
        raise StoreUnavailable("redis down")

    svc.health.snapshot = down
    assert svc.decide(ctx()).gateway in {"stripe", "amazon_pay", "solana"}


def test_quiet_traffic_checkpoints_on_age(catalog, ctx):
    now = [1000.0]
    policy = VowpalPolicy()
    checkpoints = InMemoryCheckpointStore()
    svc = RoutingService(Router(catalog, policy, CFG), policy, InMemoryHealthStore(CFG), InMemoryDecisionStore(),
                         checkpoints, checkpoint_id_for=checkpoint_id_for, checkpoint_every=100,
                         checkpoint_max_age_seconds=300, clock=lambda: now[0], rng=random.Random(1))
    for i, t in enumerate((1010.0, 1200.0, 1301.0)):
        now[0] = t
        rec = svc.select_route(f"pay_{i:08d}", 1, ctx())
        svc.record_outcome(Outcome(f"pay_{i:08d}", 1, rec["gateway"], True, False, 300))
    assert [c[2]["total_updates"] for c in checkpoints.saved] == [3]  # the update at 1301 s is past the age
