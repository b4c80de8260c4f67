"""FRAUD_ENDPOINT_NAME set: the service scores through a real boto3 sagemaker-runtime client on the moto
server. moto cannot run a model, so its queue of endpoint results is loaded with what the inference module
(run here on the same model) answers; the request the service sends is the unit-tested payload."""

import json

import pytest

from smartpay_fraud import bootstrap
from smartpay_fraud.domain.transactions import Transaction
from smartpay_fraud.entrypoints import sagemaker_inference as inference

pytestmark = pytest.mark.integration


def test_service_scores_through_the_endpoint_when_configured(registered, settings, aws, moto_server, model_dir,
                                                             redis_store):
    instance = {"features": {"card_count_1h": 1.0}, "entities": {}, "exponent": 2}
    model = inference.model_fn(str(model_dir))
    answer = inference.output_fn(inference.predict_fn({"instances": [instance], "reasons": 3}, model))
    moto_server.queue_sagemaker_result(answer)

    service = bootstrap.build_scoring_service(settings.model_copy(update={"endpoint_name": "smartpay-fraud"}),
                                              s3=aws("s3"), sagemaker=aws("sagemaker-runtime"), store=redis_store)
    assert type(service.model).__name__ == "SageMakerRiskModel"
    result = service.score(Transaction("pay_SM000001", 1_767_225_600_000, 1999, "EUR", "m_acme", "pm_1"))
    expected = json.loads(answer)["predictions"][0]
    assert result.score == expected["score"] and result.model_version == registered.version
    assert result.threshold_version == registered.thresholds.version
