"""Chat settings: one pydantic model read from the environment at cold start, with local defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_index_path() -> Path:
    from smartpay_shared.manifest import repo_root

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

    @model_validator(mode="after")
    def _endpoint_for_opensearch(self) -> ChatSettings:
        if self.index_backend == "opensearch" and not self.opensearch_endpoint:
            raise ValueError("CHAT_INDEX_BACKEND=opensearch needs OPENSEARCH_ENDPOINT")
        return self


@lru_cache(maxsize=1)
def chat_settings() -> ChatSettings:
    return ChatSettings()
