"""The policy checkpointed to S3 (moto) and restored on restart: same version, same decisions."""

import json
import random

import pytest

from smartpay_routing import bootstrap
from smartpay_routing.config import routing_settings
from smartpay_routing.domain.model import Outcome

pytestmark = pytest.mark.integration


def test_learn_checkpoint_restart_restore(aws, redis_prefix, ctx, bucket):
    client, _ = redis_prefix
    settings = routing_settings()
    s3 = aws("s3")
    first = bootstrap.build(settings, s3=s3, redis_client=client)
    assert first.policy.version == "vw-untrained"
    for i in range(12):  # checkpoint_every=5 -> checkpoints after 5 and 10 updates
        rec = first.select_route(f"pay_{i:08d}", 1, ctx(amount=800 + 91 * i, risk_score=(i % 5) / 5))
        assert first.record_outcome(Outcome(f"pay_{i:08d}", 1, rec["gateway"], i % 4 != 0, False, 350)) == "learned"
    pointer = json.loads(s3.get_object(Bucket=bucket, Key="policy/latest.json")["Body"].read())
    assert pointer["total_updates"] == 10 and pointer["checkpoint_id"].startswith("vw-00000010-")
    log = s3.get_object(Bucket=bucket, Key=pointer["log_key"])["Body"].read().decode().splitlines()
    assert len(log) == 5 and {"context", "action", "propensity", "reward"} <= set(json.loads(log[0]))
    assert first.policy.version == pointer["checkpoint_id"] + "+2"
    first.checkpoint()  # e.g. on shutdown: the 2 newest updates too
    pointer = json.loads(s3.get_object(Bucket=bucket, Key="policy/latest.json")["Body"].read())

    restarted = bootstrap.build(settings, s3=s3, redis_client=client)  # a new process, same S3
    assert restarted.policy.version == pointer["checkpoint_id"] == first.policy.version
    assert restarted.policy.total_updates == 12
    probe = first.router.decide(ctx(), health={}, now=0.0, rng=random.Random(3))
    again = restarted.router.decide(ctx(), health={}, now=0.0, rng=random.Random(3))
    assert again.pmf == pytest.approx(probe.pmf, abs=1e-6) and again.gateway == probe.gateway
    for service in (first, restarted):  # and it keeps learning from where the checkpoint left off
        service.policy.learn(probe.shared_features, list(probe.action_features), 0, -1.0, probe.pmf[0])
    assert restarted.policy.distribution(probe.shared_features, list(probe.action_features)) == pytest.approx(
        first.policy.distribution(probe.shared_features, list(probe.action_features)), abs=1e-6)


def test_restore_without_any_checkpoint_starts_untrained(aws, redis_prefix):
    client, _ = redis_prefix
    service = bootstrap.build(routing_settings(), s3=aws("s3"), redis_client=client)
    assert service.policy.version == "vw-untrained" and service.policy.total_updates == 0
