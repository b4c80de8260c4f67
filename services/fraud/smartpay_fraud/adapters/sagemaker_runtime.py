"""Scoring on a SageMaker endpoint (FRAUD_ENDPOINT_NAME): the same instances payload the in-process
model takes, sent with InvokeEndpoint; the endpoint runs entrypoints/sagemaker_inference.py."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from smartpay_fraud.domain.decision import Assessment
from smartpay_fraud.domain.errors import ModelNotAvailable
from smartpay_fraud.domain.features import FeatureSet, check_scheme, feature_set_from_names

CONTENT_TYPE = "application/json"


def encode_instances(instances: list[dict], reasons: int) -> bytes:
    return json.dumps({"instances": instances, "reasons": reasons}, separators=(",", ":")).encode()


def decode_predictions(body: bytes | str) -> list[Assessment]:
    raw = json.loads(body)
    return [Assessment.from_dict(p) for p in raw["predictions"]]


class SageMakerRiskModel:
    remote = True  # one InvokeEndpoint per batch (scoring.ScoringService)

    def __init__(self, runtime_client: Any, endpoint_name: str, metadata: dict):
        self._client = runtime_client
        self._endpoint = endpoint_name
        check_scheme(metadata)
        self._metadata = metadata

    @property
    def version(self) -> str:
        return self._metadata["version"]

    @property
    def online_features(self) -> FeatureSet:
        return feature_set_from_names(self._metadata["features"])

    def assess_batch(self, batch, reasons: int = 3) -> list[Assessment]:
        return self.assess(batch.to_instances(), reasons)

    def assess(self, instances: list[dict], reasons: int = 3) -> list[Assessment]:
        try:
            response = self._client.invoke_endpoint(EndpointName=self._endpoint, ContentType=CONTENT_TYPE,
                                                    Accept=CONTENT_TYPE, Body=encode_instances(instances, reasons))
        except (ClientError, BotoCoreError) as e:
            raise ModelNotAvailable(f"SageMaker endpoint {self._endpoint}: {e}") from e
        body = response["Body"].read()
        try:
            predictions = decode_predictions(body)
        except (ValueError, KeyError, TypeError) as e:
            raise ModelNotAvailable(f"SageMaker endpoint {self._endpoint} answered {body[:200]!r}") from e
        if len(predictions) != len(instances):
            raise ModelNotAvailable(f"endpoint returned {len(predictions)} predictions for {len(instances)}")
        return predictions
