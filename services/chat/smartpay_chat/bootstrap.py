"""Wire the index adapter once per cold start from the settings; tests call `build_index` with their own."""

from __future__ import annotations

from smartpay_shared.config import platform_settings

from smartpay_chat.config import ChatSettings
from smartpay_chat.service_layer.ports import PaymentIndex


def opensearch_client(settings: ChatSettings):
    import boto3
    from opensearchpy import AWSV4SignerAuth, OpenSearch, RequestsHttpConnection

    auth = None
    if settings.opensearch_auth == "sigv4":
        auth = AWSV4SignerAuth(boto3.Session().get_credentials(), platform_settings().region, "es")
    return OpenSearch(hosts=[settings.opensearch_endpoint], http_auth=auth, connection_class=RequestsHttpConnection,
                      timeout=settings.opensearch_timeout_seconds, max_retries=2, retry_on_timeout=True)


def build_index(settings: ChatSettings, *, read_only: bool = False) -> PaymentIndex:
    from smartpay_chat.adapters import embeddings

    # The API's reader embeds only a search's text: its model loads when the first search needs it, on a thread of
    # its own (embeddings.Loading), so the API's init and its aggregate answers never load it or share the CPU with
    # its load. A writer embeds every batch: loaded here.
    embedder, reason = embeddings.load(settings.embeddings, background=read_only)
    if settings.index_backend == "opensearch":
        from smartpay_chat.adapters.opensearch_index import OpenSearchPaymentIndex

        index = OpenSearchPaymentIndex(opensearch_client(settings), alias=settings.index_alias, embedder=embedder,
                                       no_embedder_reason=reason)
        index.ensure_index()
        return index
    if settings.index_file_mode == "per_call":
        from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex

        return SharedFileDuckDBIndex(settings.index_path, name=settings.index_alias, read_only=read_only,
                                     embedder=embedder, no_embedder_reason=reason)
    from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex

    return DuckDBPaymentIndex(settings.index_path, name=settings.index_alias, read_only=read_only,
                              embedder=embedder, no_embedder_reason=reason)


def build_chat(settings: ChatSettings, sessions=None):
    """The chat service's collaborators: the planner (CHAT_PLANNER), the optional LLM phrasing,
    the DynamoDB session store, the clock, the operator's "as of" moment (CHAT_AS_OF) and the merchant time zone."""
    from datetime import UTC, datetime

    from smartpay_chat.service_layer.chat import Chat
    from smartpay_chat.service_layer.planner import build_planner

    planner = build_planner(settings)
    phraser = None
    if settings.answer_phrasing == "llm":
        from smartpay_chat.adapters.llm import LangChainPhraser, chat_model

        phraser = LangChainPhraser(chat_model(settings))
    if sessions is None:
        from smartpay_shared import aws

        from smartpay_chat.adapters.dynamodb_sessions import DynamoDBSessions

        sessions = DynamoDBSessions(aws.client("dynamodb"), settings.sessions_table, settings.session_ttl_seconds)
    return Chat(planner=planner, sessions=sessions, clock=lambda: datetime.now(UTC), timezone=settings.timezone,
                phraser=phraser, as_of=settings.as_of)
