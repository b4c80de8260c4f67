"""Chat settings from the environment, and the adapter they select."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from smartpay_chat import bootstrap
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex
from smartpay_chat.config import ChatSettings
from smartpay_shared.manifest import repo_root


def test_defaults_are_the_embedded_index_under_local(monkeypatch):
    for name in ("CHAT_INDEX_BACKEND", "CHAT_INDEX_PATH", "CHAT_OPENSEARCH_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    settings = ChatSettings()
    assert settings.index_backend == "embedded"
    assert settings.index_path == repo_root() / ".local" / "chat" / "payments.duckdb"
    assert settings.index_alias == "payments"


def test_environment_selects_the_backend(monkeypatch, tmp_path):
    monkeypatch.setenv("CHAT_INDEX_BACKEND", "opensearch")
    monkeypatch.setenv("CHAT_OPENSEARCH_ENDPOINT", "https://search.example:443")
    monkeypatch.setenv("CHAT_INDEX_PATH", str(tmp_path / "x.duckdb"))
    settings = ChatSettings()
    assert (settings.index_backend, settings.opensearch_endpoint) == ("opensearch", "https://search.example:443")
    assert settings.index_path == tmp_path / "x.duckdb"


def test_opensearch_without_an_endpoint_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("CHAT_INDEX_BACKEND", "opensearch")
    monkeypatch.delenv("CHAT_OPENSEARCH_ENDPOINT", raising=False)
    with pytest.raises(ValidationError, match="needs CHAT_OPENSEARCH_ENDPOINT"):
        ChatSettings()


def test_unknown_backend_is_refused(monkeypatch):
    monkeypatch.setenv("CHAT_INDEX_BACKEND", "elastic")
    with pytest.raises(ValidationError):
        ChatSettings()


def test_build_index_embedded_creates_the_file(tmp_path):
    path = tmp_path / "nested" / "payments.duckdb"
    index = bootstrap.build_index(ChatSettings(index_backend="embedded", index_path=path, index_file_mode="held"))
    try:
        assert isinstance(index, DuckDBPaymentIndex) and Path(path).exists()
    finally:
        index.close()


def test_embedded_default_opens_the_file_per_call_so_worker_and_api_share_it(tmp_path):
    path = tmp_path / "payments.duckdb"
    writer = bootstrap.build_index(ChatSettings(index_backend="embedded", index_path=path))
    reader = bootstrap.build_index(ChatSettings(index_backend="embedded", index_path=path), read_only=True)
    assert isinstance(writer, SharedFileDuckDBIndex) and Path(path).exists()
    assert reader.get("m_acme", "pay_NOTTHERE01") is None  # the writer does not hold the file between calls
    with pytest.raises(PermissionError):
        reader.upsert(None)


def test_unknown_planner_fails_loudly_at_start():
    with pytest.raises(ValueError, match="Input should be 'deterministic', 'openai' or 'bedrock'"):
        bootstrap.build_chat(ChatSettings(planner="gpt-pretend"), sessions=object())


def test_an_openai_planner_without_credentials_fails_loudly_at_start():
    with pytest.raises(ValueError, match="CHAT_PLANNER=openai needs CHAT_OPENAI_API_KEY"):
        bootstrap.build_chat(ChatSettings(planner="openai"), sessions=object())


@pytest.mark.parametrize(("auth", "signer"), [("none", type(None)), ("sigv4", "AWSV4SignerAuth")])
def test_opensearch_client_targets_the_endpoint(monkeypatch, auth, signer):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = ChatSettings(index_backend="opensearch", opensearch_endpoint="https://search.example:443",
                            opensearch_auth=auth, opensearch_timeout_seconds=3)
    client = bootstrap.opensearch_client(settings)
    connection = client.transport.get_connection()
    assert client.transport.hosts == [{"host": "search.example", "port": 443, "use_ssl": True}]
    assert connection.timeout == 3
    found = type(connection.session.auth)
    assert found is signer if isinstance(signer, type) else found.__name__ == signer


def test_the_embedded_index_lives_in_the_stacks_state_dir(monkeypatch, tmp_path):
    from smartpay_chat.config import default_index_path

    monkeypatch.setenv("SMARTPAY_LOCAL_DIR", str(tmp_path / "mine"))
    assert default_index_path() == tmp_path / "mine" / "chat" / "payments.duckdb"
    monkeypatch.delenv("SMARTPAY_LOCAL_DIR")
    assert default_index_path().parts[-3:] == (".local", "chat", "payments.duckdb")
