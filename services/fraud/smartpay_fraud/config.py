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

    model_version: str = Field(default="latest", min_length=1,
                               description="Registry version to serve; 'latest' follows the registry's pointer.")
    model_bucket: str = Field(default="smartpay-fraud-models",
                              validation_alias=AliasChoices("FRAUD_MODEL_BUCKET", "SMARTPAY_FRAUD_MODEL_BUCKET"),
                              description="S3 bucket of the registry; empty = local cache only.")
    cache_dir: Path = Field(default_factory=_default_cache)
    redis_url: str = Field(default="redis://127.0.0.1:6379/0",
                           validation_alias=AliasChoices("FRAUD_REDIS_URL", "REDIS_URL"))
    redis_prefix: str = Field(default="fraud", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    endpoint_name: str | None = Field(default=None, description="SageMaker endpoint; unset = score in process.")
    reasons: int = Field(default=3, ge=0, le=10)


@lru_cache(maxsize=1)
def fraud_settings() -> FraudSettings:
    return FraudSettings()
