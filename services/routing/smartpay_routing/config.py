"""Routing settings: one pydantic model read from the environment at cold start, with local defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartpay_shared.config import platform_settings

from smartpay_routing.domain.health import HealthConfig

DEFAULT_CATALOG = Path(__file__).with_name("catalog.yaml")


class RoutingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTPAY_ROUTING_", extra="ignore", populate_by_name=True)

    checkpoint_bucket: str = Field(default="", description="Defaults to <name_prefix>-routing-checkpoints.")
    checkpoint_prefix: str = "policy/"
    checkpoint_every: int = Field(default=200, ge=1, description="Learning updates between checkpoints.")
    checkpoint_max_age_seconds: float = Field(default=300.0, gt=0, description="Checkpoint sooner on quiet traffic.")
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Health windows and decisions.",
                           validation_alias=AliasChoices("SMARTPAY_ROUTING_REDIS_URL", "REDIS_URL"))
    key_prefix: str = Field(default="routing:", description="Prefix of every Redis key this service writes.")
    decision_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    catalog_file: Path = DEFAULT_CATALOG
    exploration: Literal["epsilon", "squarecb"] = "squarecb"
    epsilon: float = Field(default=0.05, gt=0.0, lt=1.0)
    gamma_scale: float = Field(default=10.0, gt=0.0)
    model_refresh_seconds: float = Field(default=60.0, ge=0.0, description="API: reload the latest checkpoint.")
    health_cache_seconds: float = Field(default=1.0, ge=0.0)
    health_window_seconds: float = Field(default=60.0, gt=0)
    health_bucket_seconds: float = Field(default=5.0, gt=0)
    health_min_requests: int = Field(default=20, ge=1)
    health_error_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    health_cooldown_seconds: float = Field(default=30.0, ge=0.0)
    health_probe_fraction: float = Field(default=0.05, gt=0.0, lt=0.5)
    health_probe_successes: int = Field(default=5, ge=1)
    health_probe_max_failures: int = Field(default=2, ge=1)

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
