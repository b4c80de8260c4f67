"""SageMaker inference handlers (model_fn / input_fn / predict_fn / output_fn, the script-mode contract) for the
routing bandit. The model directory is a checkpoint laid out by `smartpay routing package-sagemaker`
(model.vw, metadata.json); the wire format is domain/endpoint.py. Imports Vowpal Wabbit and this package's
domain only: no boto3, Redis, pydantic or YAML in the serving container."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from smartpay_routing.adapters.vw_policy import VowpalPolicy
from smartpay_routing.domain import endpoint
from smartpay_routing.domain.endpoint import CONTENT_TYPE

MODEL_FILE = "model.vw"
METADATA_FILE = "metadata.json"


@dataclass
class ServedPolicy:
    policy: VowpalPolicy
    checkpoint_id: str


def model_fn(model_dir: str) -> ServedPolicy:
    directory = Path(model_dir)
    metadata = json.loads((directory / METADATA_FILE).read_text())
    checkpoint_id = metadata["checkpoint_id"]
    model = (directory / MODEL_FILE).read_bytes()
    return ServedPolicy(VowpalPolicy(model=model, checkpoint_id=checkpoint_id), checkpoint_id)


def input_fn(request_body: bytes | str, request_content_type: str = CONTENT_TYPE) -> list[tuple[str, list[str]]]:
    return endpoint.parse_request(request_body, request_content_type)


def predict_fn(instances: list[tuple[str, list[str]]], model: ServedPolicy) -> list[tuple[list[float], str]]:
    # The served model only predicts: learning stays with the routing worker, which sends new checkpoints.
    return [(model.policy.distribution(shared, actions), model.checkpoint_id) for shared, actions in instances]


def output_fn(prediction: list[tuple[list[float], str]], accept: str = CONTENT_TYPE) -> str:
    if accept not in (CONTENT_TYPE, "*/*"):
        raise ValueError(f"unsupported accept type {accept!r}; use {CONTENT_TYPE}")
    return endpoint.encode_answer(prediction)
