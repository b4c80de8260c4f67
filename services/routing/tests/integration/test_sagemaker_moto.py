"""ROUTING_ENDPOINT_NAME set: the service asks a real boto3 sagemaker-runtime client on the moto server for
the pmf. moto cannot run a model: InvokeEndpoint answers the next result queued on its
/moto-api/static/sagemaker/endpoint-results (or the text "body" when none is), whatever the request (an
identical request gets the same answer again). So the
answer queued here is what the inference module, run in this process on the packaged checkpoint, answers to
the examples the router builds; that the service sends exactly those examples is checked in
tests/unit/test_sagemaker.py. What this proves: the setting switches the client, InvokeEndpoint goes through
botocore to the emulator and back, the answer's pmf is the one sampled and logged, and learning goes on."""

import io
import json
import random
import tarfile

import pytest
from typer.testing import CliRunner

from smartpay_routing import bootstrap
from smartpay_routing.adapters.vw_policy import VowpalPolicy
from smartpay_routing.config import routing_settings
from smartpay_routing.domain.model import Outcome
from smartpay_routing.domain.router import Router
from smartpay_routing.entrypoints import api, cli
from smartpay_routing.entrypoints import sagemaker_inference as inference

pytestmark = pytest.mark.integration
ENDPOINT = "smartpay-routing"


def learn_and_checkpoint(service, ctx, n: int, offset: int = 0) -> str:
    for i in range(offset, offset + n):
        rec = service.select_route(f"pay_T{i:06d}", 1, ctx(amount=500 + 613 * i, risk_score=(i % 7) / 10))
        service.record_outcome(Outcome(f"pay_T{i:06d}", 1, rec["gateway"], i % 3 != 0, False, 300))
    return service.checkpoint()


@pytest.fixture
def packaged_checkpoint(aws, redis_prefix, ctx, tmp_path):
    """A checkpoint packaged with `smartpay routing package-sagemaker --upload` (what the endpoint serves),
    then 30 more updates checkpointed (what the worker restores): the two models differ."""
    client, _ = redis_prefix
    trainer = bootstrap.build(routing_settings(), s3=aws("s3"), redis_client=client)
    served_id = learn_and_checkpoint(trainer, ctx, 40)
    result = CliRunner().invoke(cli.app, ["package-sagemaker", "--out", str(tmp_path / "model.tar.gz"), "--upload"])
    assert result.exit_code == 0, result.output
    uri = f"s3://smartpay-routing-checkpoints/policy/sagemaker/{served_id}/model.tar.gz"
    assert result.stdout.strip().splitlines()[-1] == uri
    tarball = aws("s3").get_object(Bucket="smartpay-routing-checkpoints",
                                   Key=f"policy/sagemaker/{served_id}/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(tarball)) as tar:
        tar.extractall(tmp_path / "opt-ml-model", filter="data")
    learn_and_checkpoint(trainer, ctx, 30, offset=40)
    return served_id, inference.model_fn(str(tmp_path / "opt-ml-model"))


def answer_for(service, served, ctx_) -> tuple[str, list[float]]:
    """What the endpoint answers for the examples the router will send for ctx_ (same catalog and health)."""
    probe = Router(service.router.catalog, VowpalPolicy(), service.router.health_config).decide(
        ctx_, health=service.health_snapshot(), now=0.0, rng=random.Random(0))
    answer = inference.output_fn(inference.predict_fn([(probe.shared_features, list(probe.action_features))],
                                                      served))
    return answer, json.loads(answer)["predictions"][0]["pmf"]


def test_worker_routes_with_the_endpoints_pmf_and_its_learner_keeps_learning(aws, moto_server, redis_prefix, ctx,
                                                                            packaged_checkpoint):
    served_id, served = packaged_checkpoint
    client, _ = redis_prefix
    settings = routing_settings().model_copy(update={"endpoint_name": ENDPOINT})
    service = bootstrap.build(settings, s3=aws("s3"), redis_client=client, sagemaker=aws("sagemaker-runtime"))
    assert type(service.router.policy).__name__ == "SageMakerPolicy"
    assert service.policy.checkpoint_id != served_id and service.policy.total_updates == 70

    payment = ctx(amount=12_345, risk_score=0.3)
    answer, pmf = answer_for(service, served, payment)
    moto_server.queue_sagemaker_result(answer)
    rec = service.select_route("pay_SM000001", 1, payment)
    assert rec["policy_version"] == f"sagemaker:{ENDPOINT}:{served_id}"
    assert rec["pmf"] == pytest.approx(pmf, abs=1e-12)
    assert rec["propensity"] == rec["pmf"][rec["candidates"].index(rec["gateway"])]
    assert rec["pmf"] != pytest.approx(service.policy.distribution(rec["shared"], rec["actions"]), abs=1e-4)

    assert service.record_outcome(Outcome("pay_SM000001", 1, rec["gateway"], True, False, 250)) == "learned"
    assert service.policy.total_updates == 71
    assert service.pending_log[-1]["propensity"] == rec["propensity"]
    assert service.pending_log[-1]["policy_version"] == rec["policy_version"]

    # Nothing queued: moto answers a new request (it repeats its answer to an identical one) with the text "body",
    # which is no pmf; the learner decides and the record says so.
    fallback = service.select_route("pay_SM000002", 1, ctx(amount=777, risk_score=0.05))
    assert fallback["policy_version"] == service.policy.version and service.router.policy.failures == 1
    assert fallback["pmf"] == pytest.approx(service.policy.distribution(fallback["shared"], fallback["actions"]))


def test_api_uses_the_endpoint_when_routing_endpoint_name_is_set(aws, moto_server, redis_prefix, ctx, monkeypatch,
                                                                 packaged_checkpoint):
    served_id, served = packaged_checkpoint
    monkeypatch.setenv("ROUTING_ENDPOINT_NAME", ENDPOINT)
    routing_settings.cache_clear()
    api._state.clear()
    try:
        service = api.service()
        assert service.router.policy.endpoint_name == ENDPOINT
        from datetime import UTC, datetime

        payment = ctx(merchant_id="m_acme", amount=4200, currency="EUR", method="card", country="DE",
                      merchant_category="retail", risk_score=0.2, hour=datetime.now(UTC).hour)
        answer, pmf = answer_for(service, served, payment)
        moto_server.queue_sagemaker_result(answer)
        decision = service.decide(payment)
    finally:
        api._state.clear()
    assert decision.policy_version == f"sagemaker:{ENDPOINT}:{served_id}"
    assert list(decision.pmf) == pytest.approx(pmf, abs=1e-12) and decision.propensity == decision.pmf[
        decision.chosen_index]
