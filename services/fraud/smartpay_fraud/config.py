"""Fraud service settings (env prefix FRAUD_), validated once at cold start. The environment contract:
docs/terraform.md ("Environment contract"); `set_by` says who sets each key on a deployed function."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartpay_shared.config import PlatformSettings, SetBy, deployed, set_by

_PROMOTE = set_by(SetBy.CLI, "the promotion guard of `smartpay fraud promote`")


def default_cache_dir() -> Path:
    """`$SMARTPAY_LOCAL_DIR/fraud/models` (a local stack's own state dir), else `<repo>/.local/fraud/models`,
    else (a Lambda bundle: no repository, and only /tmp is writable) `/tmp/smartpay-fraud-models`."""
    from smartpay_shared.manifest import repo_root

    local_dir = PlatformSettings().local_dir  # not the cached one: a test may change it
    if local_dir:
        return local_dir / "fraud" / "models"
    try:
        return repo_root() / ".local" / "fraud" / "models"
    except FileNotFoundError:
        return Path("/tmp/smartpay-fraud-models")  # noqa: S108


class FraudSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRAUD_", extra="ignore", protected_namespaces=())

    model_version: str = Field(default="current", min_length=1,
                               description="Registry version to serve: a version name (pinned), 'current' (the "
                                           "promoted one, or 'latest' until the first promotion) or 'latest'.")
    model_bucket: str = Field(default="smartpay-fraud-models",
                              description="S3 bucket of the model registry; empty = local cache only.",
                              json_schema_extra=deployed("the model registry bucket, `<p>-fraud-models`"))
    cache_dir: Path = Field(default_factory=default_cache_dir,
                            description="Local copy of the registry's models: by default under "
                                        "`SMARTPAY_LOCAL_DIR`, else `<repo>/.local/fraud/models`, else "
                                        "`/tmp/smartpay-fraud-models` (Lambda).")
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Velocity features.",
                           json_schema_extra=deployed("the platform cache (`redis://<cache>:6379/0`), else "
                                                      "platform variable `redis_url`"))
    redis_prefix: str = Field(default="fraud", pattern=r"^[A-Za-z0-9_.-]{1,32}$",
                              description="Prefix of every Redis key this service writes.")
    endpoint_name: str | None = Field(default=None, description="SageMaker endpoint; unset = score in process.")
    reasons: int = Field(default=3, ge=0, le=10, description="Reasons returned with a score.")
    # Promotion guard (`smartpay fraud promote`): holdout metrics a version needs, unless --force.
    promote_min_roc_auc: float = Field(default=0.80, ge=0, le=1, description="Promotion: minimum ROC AUC.",
                                       json_schema_extra=_PROMOTE)
    promote_min_pr_auc: float = Field(default=0.30, ge=0, le=1, description="Promotion: minimum PR AUC.",
                                      json_schema_extra=_PROMOTE)
    promote_min_recall_at_1pct_fpr: float = Field(default=0.30, ge=0, le=1,
                                                  description="Promotion: minimum recall at 1 % false positives.",
                                                  json_schema_extra=_PROMOTE)
    promote_max_pr_auc_drop: float = Field(default=0.05, ge=0, le=1,
                                           description="Promotion: largest PR AUC drop against the current model.",
                                           json_schema_extra=_PROMOTE)


@lru_cache(maxsize=1)
def fraud_settings() -> FraudSettings:
    return FraudSettings()
