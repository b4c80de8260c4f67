"""The SageMaker inference module run locally, and the runtime adapter sending the same payload."""

import io
import json

import pytest

from smartpay_shared.testing.sagemaker import InProcessEndpoint

from smartpay_fraud.adapters.sagemaker_runtime import SageMakerRiskModel
from smartpay_fraud.domain.errors import ModelNotAvailable
from smartpay_fraud.entrypoints import sagemaker_inference as inference

INSTANCES = [
    {"features": {"card_count_1h": 14.0, "card_sum_1h": 2100.0, "amount_log": 5.0, "card_device_is_new": 1.0},
     "entities": {"card_id": "card_new", "device_id": "dev_new", "ip_address": None}, "exponent": 2},
    {"features": {"card_count_1h": 1.0, "amount_log": 8.0}, "entities": {}, "exponent": 2},
]


def test_handlers_chain_like_the_container_calls_them(model_dir, trained):
    model = inference.model_fn(str(model_dir))
    body = json.dumps({"instances": INSTANCES, "reasons": 2})
    out = json.loads(inference.output_fn(inference.predict_fn(inference.input_fn(body, "application/json"), model),
                                         "application/json"))
    local = trained.bundle.assess(INSTANCES, 2)
    assert [p["score"] for p in out["predictions"]] == [a.score for a in local]
    first = out["predictions"][0]
    assert first["model_version"] == trained.bundle.version and first["decision"] in {"approve", "review", "decline"}
    assert len(first["reasons"]) <= 2 and all(r["contribution"] > 0 for r in first["reasons"])


def test_input_fn_refuses_other_content_and_shapes():
    with pytest.raises(ValueError, match="content type"):
        inference.input_fn("a,b", "text/csv")
    with pytest.raises(ValueError, match="instances"):
        inference.input_fn(json.dumps({"rows": []}), "application/json")


def test_runtime_adapter_gets_the_same_assessments_as_in_process(model_dir, trained):
    endpoint = InProcessEndpoint(inference, model_dir)
    remote = SageMakerRiskModel(endpoint, "smartpay-fraud", trained.bundle.metadata)
    assert remote.assess(INSTANCES, 3) == trained.bundle.assess(INSTANCES, 3)
    sent = endpoint.requests[0]
    assert sent["EndpointName"] == "smartpay-fraud" and json.loads(sent["Body"])["instances"] == INSTANCES
    assert remote.online_features.names == trained.bundle.online_features.names


def test_runtime_adapter_fails_loudly_on_a_wrong_answer(trained):
    class Broken:
        def invoke_endpoint(self, **_):
            return {"Body": io.BytesIO(b'{"predictions": []}')}

    with pytest.raises(ModelNotAvailable, match="0 predictions for 2"):
        SageMakerRiskModel(Broken(), "e", trained.bundle.metadata).assess(INSTANCES)
