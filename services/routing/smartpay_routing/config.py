"""Routing settings (env prefix ROUTING_): one pydantic model read from the environment at cold start, with
local defaults. The environment contract: docs/terraform.md ("Environment contract")."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartpay_shared.config import deployed, platform_settings

from smartpay_routing.domain.health import HealthConfig

PACKAGE_DIR = Path(__file__).parent
DEFAULT_CATALOG = PACKAGE_DIR / "catalog.yaml"


class RoutingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTING_", extra="ignore", populate_by_name=True)

    checkpoint_bucket: str = Field(default="", description="Bandit checkpoints; empty: <name_prefix>-routing-checkpoints.",
                                   json_schema_extra=deployed("the checkpoint bucket, `<p>-routing-checkpoints`"))
    checkpoint_prefix: str = Field(default="policy/", description="Key prefix of the checkpoints in the bucket.")
    checkpoint_every: int = Field(default=200, ge=1, description="Learning updates between checkpoints.")
    checkpoint_max_age_seconds: float = Field(default=300.0, gt=0, description="Checkpoint sooner on quiet traffic.")
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Health windows and decisions.",
                           json_schema_extra=deployed("the platform cache (`redis://<cache>:6379/0`), else "
                                                      "platform variable `redis_url`"))
    key_prefix: str = Field(default="routing:", description="Prefix of every Redis key this service writes.")
    decision_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60, description="How long a decision is kept.")
    catalog_file: Path = Field(default=DEFAULT_CATALOG,
                               description="Gateway catalog and merchant rules; a relative path is a file of the "
                                           "package (catalog.yaml, catalog.local.yaml).",
                               json_schema_extra=deployed("variable `catalog_file` (`catalog.yaml`; locally "
                                                          "`catalog.local.yaml`)"))
    exploration: Literal["epsilon", "squarecb"] = Field(default="squarecb", description="Exploration algorithm.")
    epsilon: float = Field(default=0.05, gt=0.0, lt=1.0, description="Exploration rate (epsilon-greedy).")
    gamma_scale: float = Field(default=10.0, gt=0.0, description="SquareCB gamma scale.")
    endpoint_name: str = Field(default="", description="SageMaker endpoint serving the bandit's pmf; empty: the "
                                                        "in-process policy decides.",
                               json_schema_extra=deployed("variable `endpoint_name`", when="that variable is set "
                                                          "(the endpoint is deployed outside Terraform: "
                                                          "docs/routing.md, SageMaker)"))
    model_refresh_seconds: float = Field(default=60.0, ge=0.0, description="API: reload the latest checkpoint.")
    health_cache_seconds: float = Field(default=1.0, ge=0.0, description="How long gateway health is cached.")
    health_window_seconds: float = Field(default=60.0, gt=0, description="Circuit breaker: error-rate window.")
    health_bucket_seconds: float = Field(default=5.0, gt=0, description="Circuit breaker: window bucket size.")
    health_min_requests: int = Field(default=20, ge=1, description="Circuit breaker: requests before it may open.")
    health_error_threshold: float = Field(default=0.5, gt=0.0, le=1.0, description="Circuit breaker: error rate "
                                                                                  "that opens it.")
    health_cooldown_seconds: float = Field(default=30.0, ge=0.0, description="Circuit breaker: open this long.")
    health_probe_fraction: float = Field(default=0.05, gt=0.0, lt=0.5, description="Half open: share of traffic "
                                                                                   "probing.")
    health_probe_successes: int = Field(default=5, ge=1, description="Half open: successes that close it.")
    health_probe_max_failures: int = Field(default=2, ge=1, description="Half open: failures that re-open it.")

    @field_validator("catalog_file")
    @classmethod
    def _in_the_package(cls, value: Path) -> Path:
        return value if value.is_absolute() else PACKAGE_DIR / value

    @property
    def bucket(self) -> str:
        return self.checkpoint_bucket or f"{platform_settings().name_prefix}-routing-checkpoints"

    def health(self) -> HealthConfig:
        return HealthConfig(self.health_window_seconds, self.health_bucket_seconds, self.health_min_requests,
                            self.health_error_threshold, self.health_cooldown_seconds, self.health_probe_fraction,
                            self.health_probe_successes, self.health_probe_max_failures)


@lru_cache(maxsize=1)
def routing_settings() -> RoutingSettings:
    return RoutingSettings()
