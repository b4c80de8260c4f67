"""The bandit on a SageMaker endpoint, without the network: the inference module chained as the container
calls it, the wire format's refusals, the model.tar.gz served from its documented layout with the
training and cloud libraries unavailable, and the service deciding with the endpoint's pmf (a stand-in client,
smartpay_shared.testing.sagemaker, runs the real inference module on the request it is sent) while its own
learner learns."""

import importlib.metadata
import io
import json
import random
import subprocess
import sys
import tarfile

import pytest
from botocore.exceptions import ClientError

from smartpay_shared.testing.sagemaker import InProcessEndpoint

from smartpay_routing.adapters import sagemaker_package
from smartpay_routing.adapters.memory import InMemoryCheckpointStore, InMemoryDecisionStore, InMemoryHealthStore
from smartpay_routing.adapters.sagemaker_runtime import SageMakerPolicy
from smartpay_routing.adapters.vw_policy import VowpalPolicy, checkpoint_id_for
from smartpay_routing.domain import endpoint
from smartpay_routing.domain.health import HealthConfig
from smartpay_routing.domain.model import Outcome
from smartpay_routing.domain.router import Router
from smartpay_routing.entrypoints import sagemaker_inference as inference
from smartpay_routing.service_layer.routing import RoutingService

SHARED = "shared |U lamt:3.700 risk:0.100 cat_retail reg_EU cur_EUR met_card hb_3"
ACTIONS = ["|G gw_stripe fee:0.2900 err:0.000", "|G gw_amazon_pay fee:0.3400 err:0.000",
           "|G gw_solana fee:0.1000 err:0.000"]


def trained(seed: int, steps: int = 300) -> VowpalPolicy:
    """A policy that prefers amazon_pay for large amounts and stripe otherwise (not the uniform start)."""
    rng = random.Random(seed)
    policy = VowpalPolicy(seed=seed)
    for _ in range(steps):
        lamt = rng.uniform(1, 5)
        shared = f"shared |U lamt:{lamt:.3f} risk:0.100 cat_retail reg_EU cur_EUR met_card hb_3"
        chosen = rng.randrange(3)
        good = 1 if lamt > 3 else 0
        policy.learn(shared, ACTIONS, chosen, -1.0 if chosen == good else 0.0, 1 / 3)
    return policy


def packaged(policy: VowpalPolicy, tmp_path, name="model"):
    model = policy.to_bytes()
    checkpoint = checkpoint_id_for(model, policy.total_updates)
    directory = sagemaker_package.build_model_dir(checkpoint, model, {"total_updates": policy.total_updates},
                                                  tmp_path / name)
    return directory, checkpoint


def test_handlers_chain_like_the_container_calls_them(tmp_path):
    policy = trained(1)
    directory, checkpoint = packaged(policy, tmp_path)
    model = inference.model_fn(str(directory))
    body = endpoint.encode_request([(SHARED, ACTIONS), (SHARED.replace("lamt:3.700", "lamt:1.200"), ACTIONS)])
    out = json.loads(inference.output_fn(inference.predict_fn(inference.input_fn(body, "application/json"), model),
                                         "application/json"))
    first, second = out["predictions"]
    assert first["policy_version"] == checkpoint and checkpoint.startswith("vw-00000300-")
    assert first["pmf"] == pytest.approx(policy.distribution(SHARED, ACTIONS), abs=1e-6)
    assert max(first["pmf"]) > 0.5 and first["pmf"] != pytest.approx(second["pmf"], abs=1e-3)


@pytest.mark.parametrize("body, content_type, message", [
    ("a,b", "text/csv", "content type"),
    (b"\xff{", "application/json", "not JSON"),
    ('{"rows": []}', "application/json", "instances"),
    (json.dumps({"instances": [{"shared": SHARED, "actions": ACTIONS[:1]}]}), "application/json", "2 to 32"),
    (json.dumps({"instances": [{"shared": "|U a", "actions": ACTIONS}]}), "application/json", "shared"),
    (json.dumps({"instances": [{"shared": SHARED, "actions": ["0:-1:0.5 |G gw_stripe", ACTIONS[1]]}]}),
     "application/json", r"actions\[0\]"),
    (json.dumps({"instances": [{"shared": SHARED + "\n0:-1:1 |G x", "actions": ACTIONS}]}), "application/json",
     "one unlabelled VW line"),
    (json.dumps({"instances": [{"shared": SHARED, "actions": [ACTIONS[0], 3]}]}), "application/json",
     "expected a string"),
])
def test_input_fn_refuses_what_is_not_unlabelled_examples(body, content_type, message):
    with pytest.raises(endpoint.EndpointProtocolError, match=message):
        inference.input_fn(body, content_type)


@pytest.mark.parametrize("answer, message", [
    ("body", "not"),
    ('{"predictions": []}', "expected 1 predictions, got 0"),
    ('{"predictions": [{"pmf": [0.5, 0.5], "policy_version": "v"}]}', "expected 3 finite"),
    ('{"predictions": [{"pmf": [0.5, 0.6, -0.1], "policy_version": "v"}]}', "expected 3 finite"),
    ('{"predictions": [{"pmf": [NaN, 0.5, 0.5], "policy_version": "v"}]}', "expected 3 finite"),
    ('{"predictions": [{"pmf": [true, 0, 0], "policy_version": "v"}]}', "expected 3 finite"),
    ('{"predictions": [{"pmf": [0.2, 0.2, 0.2], "policy_version": "v"}]}', "sums to"),
    ('{"predictions": [{"pmf": [0.2, 0.3, 0.5]}]}', "policy_version"),
])
def test_answers_that_are_not_a_pmf_over_the_actions_are_refused(answer, message):
    with pytest.raises(endpoint.EndpointProtocolError, match=message):
        endpoint.parse_answer(answer, [3])


def service_on(router_policy, learner, seed=3):
    health = HealthConfig()
    from smartpay_routing.bootstrap import load_catalog
    from smartpay_routing.config import DEFAULT_CATALOG

    router = Router(load_catalog(DEFAULT_CATALOG), router_policy, health)
    return RoutingService(router, learner, InMemoryHealthStore(health), InMemoryDecisionStore(),
                          InMemoryCheckpointStore(), checkpoint_id_for=checkpoint_id_for, checkpoint_every=10_000,
                          checkpoint_max_age_seconds=float("inf"), health_cache_seconds=0.0,
                          clock=lambda: 1000.0, rng=random.Random(seed))


def test_service_decides_with_the_endpoints_pmf_and_logs_its_propensity_while_the_learner_learns(tmp_path, ctx):
    served, learner = trained(1), trained(2, steps=500)  # the endpoint runs an older checkpoint than the worker
    directory, checkpoint = packaged(served, tmp_path)
    stand_in = InProcessEndpoint(inference, directory)
    service = service_on(SageMakerPolicy(stand_in, "smartpay-routing", fallback=learner), learner)
    records = [service.select_route(f"pay_{i:04d}", 1, ctx(amount=300 + 700 * i)) for i in range(20)]
    for rec in records:
        assert rec["mode"] == "bandit" and rec["policy_version"] == f"sagemaker:smartpay-routing:{checkpoint}"
        assert rec["pmf"] == pytest.approx(served.distribution(rec["shared"], rec["actions"]), abs=1e-6)
        assert rec["pmf"] != pytest.approx(learner.distribution(rec["shared"], rec["actions"]), abs=1e-3)
        assert rec["propensity"] == rec["pmf"][rec["candidates"].index(rec["gateway"])]
    assert {(r["EndpointName"], r["ContentType"], r["Accept"]) for r in stand_in.requests} == {
        ("smartpay-routing", "application/json", "application/json")}
    sent = json.loads(stand_in.requests[0]["Body"])["instances"][0]
    assert (sent["shared"], sent["actions"]) == (records[0]["shared"], records[0]["actions"])

    twin = VowpalPolicy(model=learner.to_bytes())  # learns the same examples with the same propensities
    before = learner.total_updates
    for i, rec in enumerate(records):
        assert service.record_outcome(Outcome(f"pay_{i:04d}", 1, rec["gateway"], i % 3 != 0, False, 400)) == "learned"
        reward_cost = -service.pending_log[-1]["reward"]
        twin.learn(rec["shared"], rec["actions"], rec["candidates"].index(rec["gateway"]), reward_cost,
                   rec["propensity"])
    assert learner.total_updates == before + 20
    assert [e["propensity"] for e in service.pending_log] == [r["propensity"] for r in records]
    assert {e["policy_version"] for e in service.pending_log} == {f"sagemaker:smartpay-routing:{checkpoint}"}
    assert learner.distribution(SHARED, ACTIONS) == pytest.approx(twin.distribution(SHARED, ACTIONS), abs=1e-6)

    # The endpoint does not learn: it serves what was packaged until a new checkpoint is deployed to it.
    assert stand_in.model.policy.distribution(SHARED, ACTIONS) == pytest.approx(served.distribution(SHARED, ACTIONS))
    newer, newer_id = packaged(learner, tmp_path, "newer")
    redeployed = InProcessEndpoint(inference, newer)
    assert redeployed.model.checkpoint_id == newer_id
    assert redeployed.model.policy.distribution(SHARED, ACTIONS) == pytest.approx(
        learner.distribution(SHARED, ACTIONS), abs=1e-6)


def test_a_failing_endpoint_hands_the_decision_to_the_learner_and_says_so(ctx):
    class Down:
        def invoke_endpoint(self, **_):
            raise ClientError({"Error": {"Code": "ModelError", "Message": "container crashed"}}, "InvokeEndpoint")

    class Garbled:
        def invoke_endpoint(self, **_):
            return {"Body": io.BytesIO(b'{"predictions": [{"pmf": [1.0], "policy_version": "x"}]}')}

    learner = trained(2)
    for client in (Down(), Garbled()):
        remote = SageMakerPolicy(client, "smartpay-routing", fallback=learner)
        rec = service_on(remote, learner).select_route("pay_0001", 1, ctx(amount=9000))
        assert remote.failures == 1 and rec["policy_version"] == learner.version == "vw-untrained+300"
        assert rec["pmf"] == pytest.approx(learner.distribution(rec["shared"], rec["actions"]))
        assert rec["propensity"] == rec["pmf"][rec["candidates"].index(rec["gateway"])]

CONTAINER = """
import importlib.abc, os, sys
BLOCKED = {"boto3", "botocore", "redis", "pydantic", "pydantic_settings", "yaml", "scipy", "matplotlib",
           "typer", "rich", "smartpay_shared", "aws_lambda_powertools"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not in the serving container")
sys.meta_path.insert(0, Block())
model_dir = sys.argv[1]
sys.path.insert(0, os.path.join(model_dir, "code"))  # what the container does with the model's code/ folder
import inference, smartpay_routing
assert smartpay_routing.__file__.startswith(os.path.join(model_dir, "code")), smartpay_routing.__file__
model = inference.model_fn(model_dir)
print(inference.output_fn(inference.predict_fn(inference.input_fn(sys.stdin.read(), "application/json"), model),
                          "application/json"))
"""


def test_tarball_serves_the_checkpoint_from_its_documented_layout(tmp_path):
    policy = trained(4)
    model = policy.to_bytes()
    checkpoint = checkpoint_id_for(model, policy.total_updates)
    tarball = sagemaker_package.build_tarball(checkpoint, model, {"total_updates": policy.total_updates},
                                              tmp_path / "model.tar.gz", tmp_path / "work")
    model_dir = tmp_path / "opt-ml-model"
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
        tar.extractall(model_dir, filter="data")
    assert {"model.vw", "metadata.json", "code/inference.py", "code/requirements.txt",
            "code/smartpay_routing/entrypoints/sagemaker_inference.py"} <= names
    pinned = f"vowpalwabbit=={importlib.metadata.version('vowpalwabbit')}"  # what the checkpoint was written with
    assert pinned in (model_dir / "code" / "requirements.txt").read_text()
    assert json.loads((model_dir / "metadata.json").read_text())["checkpoint_id"] == checkpoint
    out = subprocess.run([sys.executable, "-c", CONTAINER, str(model_dir)], capture_output=True, text=True,
                         input=endpoint.encode_request([(SHARED, ACTIONS)]).decode(), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    [(pmf, version)] = endpoint.parse_answer(out.stdout.strip().splitlines()[-1], [len(ACTIONS)])
    assert version == checkpoint
    assert pmf == pytest.approx(policy.distribution(SHARED, ACTIONS), abs=1e-6)


def test_the_version_read_after_asking_is_the_one_that_answered_that_thread(tmp_path):
    """The local worker decides on several threads with one service: one thread's fallback must not relabel
    another thread's endpoint answer."""
    import threading

    served = trained(1)
    directory, checkpoint = packaged(served, tmp_path)
    healthy = InProcessEndpoint(inference, directory)

    class FailsOnlyOnMainThread:
        def invoke_endpoint(self, **request):
            if threading.current_thread() is threading.main_thread():
                raise ClientError({"Error": {"Code": "ModelError", "Message": "down"}}, "InvokeEndpoint")
            return healthy.invoke_endpoint(**request)

    learner = trained(2)
    remote = SageMakerPolicy(FailsOnlyOnMainThread(), "smartpay-routing", fallback=learner)
    asked, other = threading.Event(), {}

    def worker():
        remote.distribution(SHARED, ACTIONS)
        asked.set()
        main_done.wait(5)
        other["version"] = remote.version

    main_done = threading.Event()
    thread = threading.Thread(target=worker)
    thread.start()
    asked.wait(5)
    remote.distribution(SHARED, ACTIONS)  # the main thread's call fails over to the learner
    main_done.set()
    thread.join(5)
    assert remote.version == learner.version
    assert other["version"] == f"sagemaker:smartpay-routing:{checkpoint}"
