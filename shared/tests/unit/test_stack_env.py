"""`eval "$(smartpay stack env)"` (README, "Local stack") in a fresh shell: the CLI then reaches this stack's
emulator, signing with the emulator's credentials where the shell has none (a fresh machine has none, and boto3
refused to sign: `NoCredentialsError`), keeping credentials already set, and never for an endpoint elsewhere."""

import subprocess

import pytest
from typer.testing import CliRunner

from smartpay_shared.cli import stack as cli
from smartpay_shared.local import stack


def exports(monkeypatch, endpoint: str) -> str:
    monkeypatch.setattr(stack, "load_stack", lambda: {"env": {"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1"}})
    result = CliRunner().invoke(cli.app, ["env"])
    assert result.exit_code == 0, result.output
    return result.output


def in_fresh_shell(script: str, **env: str) -> list[str]:
    run = f'{script}\necho "$AWS_ENDPOINT_URL|${{AWS_ACCESS_KEY_ID-unset}}|${{AWS_SECRET_ACCESS_KEY-unset}}"'
    return subprocess.run(["bash", "-c", run], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True,
                          check=True).stdout.strip().split("|")


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:45231", "http://localhost:4566"])
def test_a_local_stacks_env_signs_with_the_emulators_credentials_where_the_shell_has_none(monkeypatch, endpoint):
    script = exports(monkeypatch, endpoint)
    assert in_fresh_shell(script) == [endpoint, "testing", "testing"]
    assert in_fresh_shell(script, AWS_ACCESS_KEY_ID="mine", AWS_SECRET_ACCESS_KEY="own") == [endpoint, "mine", "own"]


def test_no_credentials_are_offered_for_an_endpoint_elsewhere(monkeypatch):
    script = exports(monkeypatch, "https://emulator.example.com")
    assert "AWS_ACCESS_KEY_ID" not in script
    assert in_fresh_shell(script) == ["https://emulator.example.com", "unset", "unset"]
