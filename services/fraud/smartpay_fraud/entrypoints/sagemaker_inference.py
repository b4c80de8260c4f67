"""SageMaker inference handlers (model_fn/input_fn/predict_fn/output_fn) for the XGBoost container's
script mode: the model directory is a registry version (model.ubj, metadata.json, graph.json)."""

from __future__ import annotations

import json

from smartpay_fraud.adapters.model_bundle import ModelBundle
from smartpay_fraud.adapters.sagemaker_runtime import CONTENT_TYPE


def model_fn(model_dir: str) -> ModelBundle:
    return ModelBundle.load(model_dir)


def input_fn(request_body: bytes | str, request_content_type: str = CONTENT_TYPE) -> dict:
    if request_content_type != CONTENT_TYPE:
        raise ValueError(f"unsupported content type {request_content_type!r}; send {CONTENT_TYPE}")
    payload = json.loads(request_body)
    instances = payload.get("instances") if isinstance(payload, dict) else None
    if not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances):
        raise ValueError("body must be {\"instances\": [{\"features\": {...}, \"entities\": {...}}, ...]}")
    return {"instances": instances, "reasons": int(payload.get("reasons", 3))}


def predict_fn(input_data: dict, model: ModelBundle) -> list[dict]:
    return [a.to_dict() for a in model.assess(input_data["instances"], input_data["reasons"])]


def output_fn(prediction: list[dict], accept: str = CONTENT_TYPE) -> str:
    if accept not in (CONTENT_TYPE, "*/*"):
        raise ValueError(f"unsupported accept type {accept!r}; use {CONTENT_TYPE}")
    return json.dumps({"predictions": prediction})
