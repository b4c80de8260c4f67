"""Webhooks settings (env prefix WEBHOOKS_), validated once at cold start. The environment contract:
docs/terraform.md ("Environment contract"); `deployed` says what Terraform sets each key to."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartpay_shared.config import deployed

from smartpay_webhooks.domain.backoff import RetrySchedule
from smartpay_webhooks.domain.url_safety import UrlPolicy


class WebhooksSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEBHOOKS_", extra="ignore")

    endpoints_table: str = Field(default="smartpay-webhook-endpoints", description="Merchants' webhook endpoints.",
                                 json_schema_extra=deployed("the endpoints table, `<p>-webhook-endpoints`"))
    deliveries_table: str = Field(default="smartpay-webhook-deliveries",
                                  description="Deliveries and their attempts (the delivery log).",
                                  json_schema_extra=deployed("the deliveries table, `<p>-webhook-deliveries`"))
    delivery_queue: str = Field(default="smartpay-webhooks-deliveries",
                                description="Queue of delivery attempts (the deliverer's), apart from the event queue.",
                                json_schema_extra=deployed("the delivery queue, `<p>-webhooks-deliveries`"))
    kms_key_id: str = Field(default="alias/smartpay", description="KMS key encrypting the endpoints' secrets.",
                            json_schema_extra=deployed("the platform key's ARN"))
    require_https: bool = Field(default=True, description="Endpoint URLs must be https.",
                                json_schema_extra=deployed("variable `require_https` (true; false locally)"))
    allow_loopback: bool = Field(default=False, description="Endpoint URLs may resolve to loopback (local stack).",
                                 json_schema_extra=deployed("variable `allow_loopback` (false; true locally)"))
    request_timeout_seconds: float = Field(default=5.0, gt=0, le=30, description="Timeout of one delivery attempt.")
    retry_base_seconds: float = Field(default=5.0, gt=0, description="Backoff: delay before the first retry.")
    retry_factor: float = Field(default=4.0, ge=1, description="Backoff: growth of the delay per attempt.")
    retry_cap_seconds: float = Field(default=36000.0, gt=0, description="Backoff: longest delay between attempts.")
    max_attempts: int = Field(default=10, ge=1, le=30, description="Attempts before a delivery fails for good.")
    secret_grace_seconds: int = Field(default=24 * 3600, ge=0, le=7 * 24 * 3600,
                                      description="After a rotation the old secret still signs this long.")
    max_endpoints_per_merchant: int = Field(default=16, ge=1, description="Endpoints one merchant may have.")
    max_resend: int = Field(default=500, ge=1, description="Deliveries one resend-since request may queue.")

    def retry_schedule(self) -> RetrySchedule:
        return RetrySchedule(self.retry_base_seconds, self.retry_factor, self.retry_cap_seconds, self.max_attempts)

    def url_policy(self) -> UrlPolicy:
        return UrlPolicy(require_https=self.require_https, allow_loopback=self.allow_loopback)


@lru_cache(maxsize=1)
def webhooks_settings() -> WebhooksSettings:
    return WebhooksSettings()
