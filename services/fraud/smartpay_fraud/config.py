"""Fraud service settings (env prefix FRAUD_), validated once at cold start."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache() -> Path:
    # Lambda's file system is read-only except /tmp.
    return Path("/tmp/fraud-models") if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else Path(".local/fraud/models")


class FraudSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRAUD_", extra="ignore", protected_namespaces=())

    model_version: str = Field(default="current", min_length=1,
                               description="Registry version to serve: a version name (pinned), 'current' (the "
                                           "promoted one, or 'latest' until the first promotion) or 'latest'.")
    model_bucket: str = Field(default="smartpay-fraud-models",
                              validation_alias=AliasChoices("FRAUD_MODEL_BUCKET", "SMARTPAY_FRAUD_MODEL_BUCKET"),
                              description="S3 bucket of the registry; empty = local cache only.")
    cache_dir: Path = Field(default_factory=_default_cache)
    redis_url: str = Field(default="redis://127.0.0.1:6379/0",
                           validation_alias=AliasChoices("FRAUD_REDIS_URL", "REDIS_URL"))
    redis_prefix: str = Field(default="fraud", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    endpoint_name: str | None = Field(default=None, description="SageMaker endpoint; unset = score in process.")
    reasons: int = Field(default=3, ge=0, le=10)
    # Promotion guard (`smartpay fraud promote`): holdout metrics a version needs, unless --force.
    promote_min_roc_auc: float = Field(default=0.80, ge=0, le=1)
    promote_min_pr_auc: float = Field(default=0.30, ge=0, le=1)
    promote_min_recall_at_1pct_fpr: float = Field(default=0.30, ge=0, le=1)
    promote_max_pr_auc_drop: float = Field(default=0.05, ge=0, le=1)


@lru_cache(maxsize=1)
def fraud_settings() -> FraudSettings:
    return FraudSettings()
