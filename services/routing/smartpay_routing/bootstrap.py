"""Wire the adapters once per cold start: catalog file, Redis, S3 checkpoints, the VW policy restored from
the newest checkpoint. Tests call `build` with their own settings and clients."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import redis
import yaml

from smartpay_routing.adapters.redis_decisions import RedisDecisionStore
from smartpay_routing.adapters.redis_health import RedisHealthStore
from smartpay_routing.adapters.sagemaker_runtime import SageMakerPolicy
from smartpay_routing.adapters.s3_checkpoints import S3CheckpointStore
from smartpay_routing.adapters.vw_policy import Exploration, VowpalPolicy, checkpoint_id_for
from smartpay_routing.config import RoutingSettings
from smartpay_routing.domain.catalog import Catalog
from smartpay_routing.domain.policy import Policy
from smartpay_routing.domain.router import Router
from smartpay_routing.service_layer.ports import CheckpointStore
from smartpay_routing.service_layer.routing import RoutingService

log = logging.getLogger(__name__)


def load_catalog(path: Path) -> Catalog:
    return Catalog.from_dict(yaml.safe_load(Path(path).read_text()))


def exploration(settings: RoutingSettings) -> Exploration:
    return Exploration(settings.exploration, settings.epsilon, settings.gamma_scale)


def restore_policy(store: CheckpointStore, settings: RoutingSettings) -> VowpalPolicy:
    latest = store.latest()
    if latest is None:
        log.info("no checkpoint yet: starting an untrained policy")
        return VowpalPolicy(exploration(settings))
    checkpoint_id, model, metadata = latest
    log.info("restored policy checkpoint %s", checkpoint_id)
    return VowpalPolicy(exploration(settings), model=model, checkpoint_id=checkpoint_id,
                        updates=int(metadata.get("total_updates", 0)))


def serving_policy(settings: RoutingSettings, learner: VowpalPolicy, sagemaker: Any | None) -> Policy:
    """What the router asks for probabilities: the endpoint when ROUTING_ENDPOINT_NAME is set (the learner
    answers when it fails), else the learner itself."""
    if not settings.endpoint_name:
        return learner
    if sagemaker is None:
        from smartpay_shared import aws

        sagemaker = aws.client("sagemaker-runtime")
    return SageMakerPolicy(sagemaker, settings.endpoint_name, fallback=learner)


def build(settings: RoutingSettings, *, s3: Any, redis_client: redis.Redis | None = None,
          sagemaker: Any | None = None) -> RoutingService:
    """The service: the router decides with `serving_policy`; the learner (restored from the newest checkpoint)
    learns from every outcome and writes the checkpoints, with or without an endpoint."""
    client = redis_client or redis.Redis.from_url(settings.redis_url)
    checkpoints = S3CheckpointStore(s3, settings.bucket, settings.checkpoint_prefix)
    policy = restore_policy(checkpoints, settings)
    router = Router(load_catalog(settings.catalog_file), serving_policy(settings, policy, sagemaker),
                    settings.health())
    return RoutingService(
        router, policy, RedisHealthStore(client, settings.health(), settings.key_prefix),
        RedisDecisionStore(client, settings.key_prefix, settings.decision_ttl_seconds), checkpoints,
        checkpoint_id_for=checkpoint_id_for, checkpoint_every=settings.checkpoint_every,
        checkpoint_max_age_seconds=settings.checkpoint_max_age_seconds,
        health_cache_seconds=settings.health_cache_seconds)
