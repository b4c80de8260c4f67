"""Chat settings: one pydantic model read from the environment at cold start, with local defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_index_path() -> Path:
    """`$SMARTPAY_LOCAL_DIR/chat/payments.duckdb` (a stack's own state dir), else `<repo>/.local/chat/...`."""
    import os

    from smartpay_shared.manifest import repo_root

    if os.environ.get("SMARTPAY_LOCAL_DIR"):
        return Path(os.environ["SMARTPAY_LOCAL_DIR"]) / "chat" / "payments.duckdb"
    try:
        return repo_root() / ".local" / "chat" / "payments.duckdb"
    except FileNotFoundError:  # installed outside the repository (a Lambda bundle): a writable temp dir
        return Path("/tmp/smartpay-chat/payments.duckdb")  # noqa: S108


class ChatSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    index_backend: Literal["embedded", "opensearch"] = Field(default="embedded", validation_alias="CHAT_INDEX_BACKEND")
    index_path: Path = Field(default_factory=default_index_path, validation_alias="CHAT_INDEX_PATH",
                             description="The embedded (DuckDB) index file.")
    index_alias: str = Field(default="payments", pattern=r"^[a-z][a-z0-9_-]{0,60}$",
                             validation_alias="CHAT_INDEX_ALIAS", description="Alias (OpenSearch) / table name.")
    opensearch_endpoint: str | None = Field(default=None, validation_alias="OPENSEARCH_ENDPOINT",
                                            description="https://search-xyz.eu-west-1.es.amazonaws.com")
    opensearch_auth: Literal["none", "sigv4"] = Field(default="none", validation_alias="OPENSEARCH_AUTH",
                                                      description="sigv4 signs with the AWS credentials (service es).")
    opensearch_timeout_seconds: float = Field(default=10.0, gt=0, validation_alias="OPENSEARCH_TIMEOUT_SECONDS")

    index_file_mode: Literal["per_call", "held"] = Field(
        default="per_call", validation_alias="CHAT_INDEX_FILE_MODE",
        description="embedded: per_call opens the DuckDB file for each call so the worker (writer) and the API "
                    "(reader) can share it; held keeps it open (one process only, e.g. benchmarks).")
    planner: Literal["deterministic", "openai", "bedrock"] = Field(
        default="deterministic", validation_alias="CHAT_PLANNER",
        description="deterministic (grammar, no network), openai (any OpenAI-compatible server) or bedrock.")
    llm_model: str | None = Field(default=None, validation_alias="CHAT_LLM_MODEL",
                                  description="model name / Bedrock model id (defaults per provider)")
    llm_structured_method: Literal["function_calling", "json_schema", "json_mode"] = Field(
        default="function_calling", validation_alias="CHAT_LLM_STRUCTURED_METHOD",
        description="how the OpenAI planner asks for the plan (function calling has the widest server support)")
    llm_timeout_seconds: float = Field(default=20.0, gt=0, validation_alias="CHAT_LLM_TIMEOUT_SECONDS")
    answer_phrasing: Literal["template", "llm"] = Field(
        default="template", validation_alias="CHAT_ANSWER_PHRASING",
        description="llm: the planner's model phrases aggregate answers, kept only if every number is grounded")
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL",
                                        description="any OpenAI-compatible server, e.g. http://127.0.0.1:8081/v1")
    embeddings: Literal["auto", "off"] = Field(
        default="auto", validation_alias="CHAT_EMBEDDINGS",
        description="auto: hybrid search when the embeddings extra is installed (else BM25, reason shown)")
    payments_table: str = Field(default="smartpay-payments",
                                validation_alias=AliasChoices("CHAT_PAYMENTS_TABLE", "PAYMENT_PAYMENTS_TABLE"),
                                description="the payment service's table, scanned by `smartpay chat reindex`")
    sessions_table: str = Field(default="smartpay-chat-sessions", validation_alias="CHAT_SESSIONS_TABLE")
    session_ttl_seconds: int = Field(default=86_400, gt=0, validation_alias="CHAT_SESSION_TTL_SECONDS")
    timezone: str = Field(default="UTC", validation_alias="CHAT_MERCHANT_TIMEZONE",
                          description="Merchant time zone for windows and per-day groups (IANA name).")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)  # raises for an unknown zone: refused at start
        return value

    @model_validator(mode="after")
    def _endpoint_for_opensearch(self) -> ChatSettings:
        if self.index_backend == "opensearch" and not self.opensearch_endpoint:
            raise ValueError("CHAT_INDEX_BACKEND=opensearch needs OPENSEARCH_ENDPOINT")
        if self.planner == "openai" and self.openai_api_key is None and not self.openai_base_url:
            raise ValueError("CHAT_PLANNER=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local "
                             "OpenAI-compatible server)")
        if self.answer_phrasing == "llm" and self.planner == "deterministic":
            raise ValueError("CHAT_ANSWER_PHRASING=llm needs an LLM planner (CHAT_PLANNER=openai or bedrock)")
        return self


@lru_cache(maxsize=1)
def chat_settings() -> ChatSettings:
    return ChatSettings()
