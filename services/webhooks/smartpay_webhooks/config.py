"""Webhooks settings (env prefix WEBHOOKS_), validated once at cold start. The environment contract:
docs/terraform.md ("Environment contract"); `deployed` says what Terraform sets each key to."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartpay_shared.config import deployed

from smartpay_webhooks.domain.backoff import RetrySchedule
from smartpay_webhooks.domain.caps import EndpointCaps
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
    first_attempt_timeout_seconds: float = Field(
        default=1.0, gt=0, le=30,
        description="Timeout of the first attempt, made by the event consumer as the outcome arrives (retries: "
                    "the request timeout).",
        json_schema_extra=deployed("variable `first_attempt_timeout_seconds` (1)"))
    endpoints_cache_seconds: float = Field(
        default=2.0, ge=0, le=60,
        description="How long the event consumer reuses a merchant's endpoint list (0: read for every event); an "
                    "endpoint created, changed, disabled or deleted reaches the consumer within this time.",
        json_schema_extra=deployed("variable `endpoints_cache_seconds` (2)"))
    first_attempt_width: int = Field(
        default=16, ge=0, le=64,
        description="First attempts one consumer instance makes at once; beyond, and with 0, they go through the "
                    "delivery queue.",
        json_schema_extra=deployed("variable `first_attempt_width` (16)"))
    retry_base_seconds: float = Field(default=5.0, gt=0, description="Backoff: delay before the first retry.",
                                      json_schema_extra=deployed("variable `retry_base_seconds` (5)"))
    retry_factor: float = Field(default=4.0, ge=1, description="Backoff: growth of the delay per attempt.",
                                json_schema_extra=deployed("variable `retry_factor` (4)"))
    retry_cap_seconds: float = Field(default=36000.0, gt=0, description="Backoff: longest delay between attempts.",
                                     json_schema_extra=deployed("variable `retry_cap_seconds` (36000)"))
    max_attempts: int = Field(default=10, ge=1, le=30, description="Attempts before a delivery fails for good.",
                              json_schema_extra=deployed("variable `max_attempts` (10)"))
    endpoint_max_concurrency: int = Field(
        default=8, ge=1, le=256, description="Attempts in flight to one endpoint at most (every instance together).",
        json_schema_extra=deployed("variable `endpoint_max_concurrency` (8)"))
    endpoint_rate_per_second: float = Field(
        default=25.0, gt=0, le=1000, description="Attempts per second to one endpoint at most (sustained).",
        json_schema_extra=deployed("variable `endpoint_rate_per_second` (25)"))
    endpoint_rate_burst: int = Field(
        default=50, ge=1, le=10000, description="Attempts to one endpoint that may go at once above the rate.",
        json_schema_extra=deployed("variable `endpoint_rate_burst` (50)"))
    redis_url: str = Field(default="redis://127.0.0.1:6379/0",
                           description="The per-endpoint caps' shared state (attempts in flight, rate buckets).",
                           json_schema_extra=deployed("the platform cache (`redis://<cache>:6379/0`), else "
                                                      "platform variable `redis_url`"))
    secret_grace_seconds: int = Field(default=24 * 3600, ge=0, le=7 * 24 * 3600,
                                      description="After a rotation the old secret still signs this long.")
    max_endpoints_per_merchant: int = Field(default=16, ge=1, description="Endpoints one merchant may have.")
    max_resend: int = Field(default=500, ge=1, description="Deliveries one resend-since request may queue.")

    def retry_schedule(self) -> RetrySchedule:
        return RetrySchedule(self.retry_base_seconds, self.retry_factor, self.retry_cap_seconds, self.max_attempts)

    def caps(self) -> EndpointCaps:
        # A slot is held for one attempt; the lease frees it if its holder died mid-attempt.
        return EndpointCaps(self.endpoint_max_concurrency, self.endpoint_rate_per_second, self.endpoint_rate_burst,
                            lease_seconds=self.request_timeout_seconds + 10.0)

    def url_policy(self) -> UrlPolicy:
        return UrlPolicy(require_https=self.require_https, allow_loopback=self.allow_loopback)


@lru_cache(maxsize=1)
def webhooks_settings() -> WebhooksSettings:
    return WebhooksSettings()
