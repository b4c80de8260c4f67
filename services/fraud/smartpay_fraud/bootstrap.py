"""Wire the adapters once per cold start: registry -> model (in process or SageMaker), Redis store."""

from __future__ import annotations

import threading
from typing import Any

from smartpay_fraud.adapters.redis_store import RedisFeatureStore
from smartpay_fraud.adapters.registry import ModelRegistry
from smartpay_fraud.adapters.sagemaker_runtime import SageMakerRiskModel
from smartpay_fraud.config import FraudSettings, fraud_settings
from smartpay_fraud.service_layer.scoring import ScoringService

_lock = threading.Lock()
_service: ScoringService | None = None
_store: RedisFeatureStore | None = None


def registry(settings: FraudSettings, s3: Any | None = None) -> ModelRegistry:
    if s3 is None and settings.model_bucket:
        from smartpay_shared import aws

        s3 = aws.client("s3")
    return ModelRegistry(s3, settings.model_bucket, settings.cache_dir)


def build_scoring_service(settings: FraudSettings, *, s3: Any | None = None, sagemaker: Any | None = None,
                          store: RedisFeatureStore | None = None) -> ScoringService:
    reg = registry(settings, s3)
    version = reg.resolve(settings.model_version)
    if settings.endpoint_name:
        if sagemaker is None:
            from smartpay_shared import aws

            sagemaker = aws.client("sagemaker-runtime")
        metadata = reg.metadata(version)
        model = SageMakerRiskModel(sagemaker, settings.endpoint_name, metadata)
    else:
        model = reg.load(version)
        metadata = model.metadata
    from smartpay_fraud.domain.features import check_servable

    check_servable(metadata)  # a model needing a field serving never receives is refused (batch scoring only)
    store = store or RedisFeatureStore.from_url(settings.redis_url, settings.redis_prefix)
    return ScoringService(store, model, settings.reasons)


def label_store() -> RedisFeatureStore:
    """The process-wide feature store labels are recorded in: the scoring service's, else one of its own (labels
    need no model)."""
    global _store
    with _lock:
        if _service is not None:
            return _service.store
        if _store is None:
            settings = fraud_settings()
            _store = RedisFeatureStore.from_url(settings.redis_url, settings.redis_prefix)
        return _store


def scoring_service() -> ScoringService:
    """The process-wide service; a failed start (no model yet) is retried on the next call, not cached."""
    global _service
    with _lock:
        if _service is None:
            _service = build_scoring_service(fraud_settings())
        return _service


def reset() -> None:
    global _service, _store
    with _lock:
        _service = _store = None
    fraud_settings.cache_clear()
