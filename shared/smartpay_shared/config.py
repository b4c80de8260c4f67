"""Platform settings shared by every service, read from the environment once at cold start."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlatformSettings(BaseSettings):
    """One setting moves the stack between moto, LocalStack and AWS: `AWS_ENDPOINT_URL`."""

    model_config = SettingsConfigDict(env_prefix="SMARTPAY_", extra="ignore")

    name_prefix: str = Field(default="smartpay", pattern=r"^[a-z][a-z0-9-]{1,20}$")
    bus_name: str = Field(default="", description="Defaults to <name_prefix>-bus.")
    region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    endpoint_url: str | None = Field(
        default=None,
        validation_alias="AWS_ENDPOINT_URL",
        description="http://127.0.0.1:4566 for moto/LocalStack; unset for AWS.",
    )

    @property
    def event_bus(self) -> str:
        return self.bus_name or f"{self.name_prefix}-bus"

    def queue_name(self, service: str) -> str:
        return f"{self.name_prefix}-{service}"

    def dlq_name(self, service: str) -> str:
        return f"{self.name_prefix}-{service}-dlq"


@lru_cache(maxsize=1)
def platform_settings() -> PlatformSettings:
    return PlatformSettings()
