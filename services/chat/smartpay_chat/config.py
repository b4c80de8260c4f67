"""Chat settings (env prefix CHAT_): one pydantic model read from the environment at cold start, with local
defaults. The environment contract: docs/terraform.md ("Environment contract")."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartpay_shared.config import PlatformSettings, SetBy, deployed, set_by


def default_index_path() -> Path:
    """`$SMARTPAY_LOCAL_DIR/chat/payments.duckdb` (a stack's own state dir), else `<repo>/.local/chat/...`,
    else (a Lambda bundle: no repository, and only /tmp is writable) `/tmp/smartpay-chat/payments.duckdb`."""
    from smartpay_shared.manifest import repo_root

    local_dir = PlatformSettings().local_dir  # not the cached one: a test may change it
    if local_dir:
        return local_dir / "chat" / "payments.duckdb"
    try:
        return repo_root() / ".local" / "chat" / "payments.duckdb"
    except FileNotFoundError:  # installed outside the repository (a Lambda bundle): a writable temp dir
        return Path("/tmp/smartpay-chat/payments.duckdb")  # noqa: S108


_WITH_SEARCH_DOMAIN = "the root's search domain is on (`enable_search_domain`, the AWS default)"
_CLI_REINDEX = set_by(SetBy.CLI, "`smartpay chat reindex` scans it; the functions never read it")


class ChatSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHAT_", extra="ignore", populate_by_name=True)

    index_backend: Literal["embedded", "opensearch"] = Field(
        default="embedded", description="embedded (DuckDB file) or opensearch.",
        json_schema_extra=deployed("`opensearch` with the search domain, else `embedded`"))
    index_path: Path = Field(default_factory=default_index_path,
                             description="The embedded (DuckDB) index file: by default under `SMARTPAY_LOCAL_DIR`, "
                                         "else `<repo>/.local/chat/`, else `/tmp/smartpay-chat/`.")
    index_alias: str = Field(default="payments", pattern=r"^[a-z][a-z0-9_-]{0,60}$",
                             description="Alias (OpenSearch) / table name.")
    opensearch_endpoint: str | None = Field(
        default=None, description="https://search-xyz.eu-west-1.es.amazonaws.com",
        json_schema_extra=deployed("`https://` + the search domain's endpoint", when=_WITH_SEARCH_DOMAIN))
    opensearch_auth: Literal["none", "sigv4"] = Field(
        default="none", description="sigv4 signs with the AWS credentials (service es).",
        json_schema_extra=deployed("`sigv4` (the domain's access policy names the functions' roles)",
                                   when=_WITH_SEARCH_DOMAIN))
    opensearch_timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of each OpenSearch call.")

    index_file_mode: Literal["per_call", "held"] = Field(
        default="per_call",
        description="embedded: per_call opens the DuckDB file for each call so the worker (writer) and the API "
                    "(reader) can share it; held keeps it open (one process only, e.g. benchmarks).")
    planner: Literal["deterministic", "openai", "bedrock"] = Field(
        default="deterministic",
        description="deterministic (grammar, no network), openai (any OpenAI-compatible server) or bedrock.")
    llm_model: str | None = Field(default=None, description="model name / Bedrock model id (defaults per provider)")
    llm_structured_method: Literal["function_calling", "json_schema", "json_mode"] = Field(
        default="function_calling",
        description="how the OpenAI planner asks for the plan (function calling has the widest server support)")
    llm_timeout_seconds: float = Field(default=20.0, gt=0, description="Timeout of each LLM call.")
    answer_phrasing: Literal["template", "llm"] = Field(
        default="template",
        description="llm: the planner's model phrases aggregate answers, kept only if every number is grounded")
    openai_api_key: SecretStr | None = Field(default=None, description="Key of the OpenAI-compatible server.")
    openai_base_url: str | None = Field(default=None,
                                        description="any OpenAI-compatible server, e.g. http://127.0.0.1:8081/v1")
    embeddings: Literal["auto", "off"] = Field(
        default="auto", description="auto: hybrid search when the embeddings extra is installed (else BM25, reason "
                                    "shown)")
    payments_table: str = Field(default="smartpay-payments",
                                description="the payment service's table, scanned by `smartpay chat reindex`",
                                json_schema_extra=_CLI_REINDEX)
    sessions_table: str = Field(default="smartpay-chat-sessions", description="Conversation turns.",
                                json_schema_extra=deployed("the sessions table, `<p>-chat-sessions`"))
    session_ttl_seconds: int = Field(default=86_400, gt=0, description="A session expires after this long idle.")
    as_of: AwareDatetime | None = Field(
        default=None, description="Operators only: answer as of this moment (ISO 8601 with its offset) instead of "
                                  "now. Windows end at it, and payments created at or after it are left out of "
                                  "every answer (all-time ones and lookups too). Unset: now.")
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
            raise ValueError("CHAT_INDEX_BACKEND=opensearch needs CHAT_OPENSEARCH_ENDPOINT")
        if self.planner == "openai" and self.openai_api_key is None and not self.openai_base_url:
            raise ValueError("CHAT_PLANNER=openai needs CHAT_OPENAI_API_KEY (or CHAT_OPENAI_BASE_URL for a local "
                             "OpenAI-compatible server)")
        if self.answer_phrasing == "llm" and self.planner == "deterministic":
            raise ValueError("CHAT_ANSWER_PHRASING=llm needs an LLM planner (CHAT_PLANNER=openai or bedrock)")
        return self


@lru_cache(maxsize=1)
def chat_settings() -> ChatSettings:
    return ChatSettings()
