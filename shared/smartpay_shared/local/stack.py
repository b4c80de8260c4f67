"""The local stack: moto server on :4566, Terraform applied to it, one worker per service, the X-Ray
relay and the HTTP gateway. State and logs live under the git-ignored `.local/`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartpay_shared.local.processes import ProcessTable
from smartpay_shared.manifest import all_manifests, repo_root

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
GATEWAY_PORT = 8080
XRAY_DAEMON = "127.0.0.1:2000"


@dataclass(frozen=True)
class StackPaths:
    root: Path

    @property
    def state(self) -> Path:
        return Path(os.environ.get("SMARTPAY_LOCAL_DIR") or self.root / ".local")

    @property
    def stack_file(self) -> Path:
        return self.state / "stack.json"

    @property
    def terraform_state(self) -> Path:
        return self.state / "terraform"


def stack_paths() -> StackPaths:
    return StackPaths(repo_root())


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).read()
        return True
    except OSError:
        return False


def _wait(url: str, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers(url):
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not answer at {url} within {timeout}s")


def base_env(endpoint: str, xray_address: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("AWS_REGION", "us-east-1")
    env.setdefault("AWS_DEFAULT_REGION", env["AWS_REGION"])
    env["AWS_ENDPOINT_URL"] = endpoint
    if endpoint.startswith("http://127.0.0.1") or endpoint.startswith("http://localhost"):
        env.setdefault("AWS_ACCESS_KEY_ID", "testing")  # emulator credentials, never real ones
        env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    env["AWS_XRAY_DAEMON_ADDRESS"] = xray_address
    env.setdefault("POWERTOOLS_LOG_LEVEL", "INFO")
    return env


def start_emulator(table: ProcessTable, endpoint: str, env: dict[str, str]) -> str:
    """Start moto unless something already answers there (an external LocalStack, or ours)."""
    if _answers(endpoint + "/moto-api/") or _answers(endpoint + "/_localstack/health"):
        return "running" if table.running("moto") else "external"
    port = endpoint.rsplit(":", 1)[1].strip("/")
    moto_env = {**env, "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
                "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH"}
    table.start("moto", [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", port], moto_env)
    _wait(endpoint + "/moto-api/", 30, "moto server")
    return "started"


def up(endpoint: str = DEFAULT_ENDPOINT, gateway_port: int = GATEWAY_PORT,
       xray_address: str = XRAY_DAEMON) -> dict[str, Any]:
    """Start the stack; if any step fails, stop what this call started (not what was already up)
    before re-raising, so a failed `make up` or test fixture leaves no stray processes behind."""
    table = ProcessTable(stack_paths().state)
    before = {m.name for m in table.all_running()}
    try:
        return _up(table, endpoint, gateway_port, xray_address)
    except BaseException:
        started = [m.name for m in table.all_running() if m.name not in before]
        for name in sorted(started, key=lambda n: (n == "moto", n)):  # the emulator last
            table.stop(name)
        raise


def _up(table: ProcessTable, endpoint: str, gateway_port: int, xray_address: str) -> dict[str, Any]:
    from smartpay_shared.local import terraform

    paths = stack_paths()
    env = base_env(endpoint, xray_address)
    emulator = start_emulator(table, endpoint, env)

    os.environ.update({k: env[k] for k in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID",
                                          "AWS_SECRET_ACCESS_KEY") if k in env})
    outputs = terraform.apply_stack(endpoint_url=endpoint, state_dir=paths.terraform_state)
    platform = outputs.get("platform", outputs)

    env.update({
        "SMARTPAY_NAME_PREFIX": platform.get("name_prefix", "smartpay"),
        "SMARTPAY_BUS_NAME": platform["bus_name"],
        "SMARTPAY_USER_POOL_ID": platform["user_pool_id"],
        "SMARTPAY_USER_POOL_CLIENT_ID": platform["user_pool_client_id"],
    })
    gateway_env = gateway_settings_env(endpoint, platform, gateway_port)
    python = sys.executable
    manifests = all_manifests()
    for manifest in manifests.values():  # service-prefixed names: one environment serves every process
        env.update({k: v.replace("{repo}", str(paths.root)) for k, v in manifest.local_env.items()})
    table.start("xray", [python, "-m", "smartpay_shared.local.xray_daemon"], env)
    for manifest in manifests.values():
        # Servers (a ready_url) first, then the setup that may need them (e.g. secrets put into moto and
        # registered with a sandbox), then the background loops (no ready_url) that read what setup wrote.
        servers = [p for p in manifest.local_processes if p.ready_url]
        loops = [p for p in manifest.local_processes if not p.ready_url]
        for proc in servers:
            table.start(f"{manifest.service}-{proc.name}", _argv(proc.argv), {**env, **proc.env})
            _wait(proc.ready_url, 60, f"{manifest.service} {proc.name}")
        for command in manifest.local_setup:
            print(f"==> {manifest.service}: {' '.join(command)}", flush=True)
            subprocess.run(_argv(command), env=env, check=True)
        for proc in loops:
            table.start(f"{manifest.service}-{proc.name}", _argv(proc.argv), {**env, **proc.env})
    for service in manifests:
        table.start(f"worker-{service}", [python, "-m", "smartpay_shared.local.run_worker", service], env)
    table.start("gateway", [python, "-m", "smartpay_shared.local.gateway"], {**env, **gateway_env})
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    _wait(gateway_url + "/health", 30, "gateway")

    stack = {
        "aws_endpoint_url": endpoint,
        "emulator": emulator,
        "region": env["AWS_REGION"],
        "gateway_url": gateway_url,
        "openapi_url": gateway_url + "/openapi.json",
        "xray_daemon": xray_address,
        "bus_name": platform["bus_name"],
        "archive_name": platform.get("archive_name", platform["bus_name"] + "-archive"),
        "user_pool_id": platform["user_pool_id"],
        "user_pool_client_id": platform["user_pool_client_id"],
        "terraform_outputs": outputs,
        "processes": {m.name: {"pid": m.pid, "log": str(m.log)} for m in table.all_running()},
    }
    paths.stack_file.write_text(json.dumps(stack, indent=2, default=str))
    return stack


def _argv(argv: list[str]) -> list[str]:
    """'python' and 'smartpay' in a manifest mean the stack's own interpreter and CLI."""
    bin_dir = Path(sys.executable).parent
    head = {"python": sys.executable, "smartpay": str(bin_dir / "smartpay")}.get(argv[0], argv[0])
    return [head, *argv[1:]]


def gateway_settings_env(endpoint: str, platform: dict[str, Any], port: int) -> dict[str, str]:
    pool = platform["user_pool_id"]
    return {
        "SMARTPAY_GATEWAY_PORT": str(port),
        "SMARTPAY_GATEWAY_USER_POOL_ID": pool,
        "SMARTPAY_GATEWAY_CLIENT_ID": platform["user_pool_client_id"],
        "SMARTPAY_GATEWAY_JWKS_URL": f"{endpoint}/{pool}/.well-known/jwks.json",
    }


def down() -> list[str]:
    """Stop what `up` started (workers first, the emulator last), by pid file only."""
    paths = stack_paths()
    table = ProcessTable(paths.state)
    order = sorted((m.name for m in table.all_running()), key=lambda n: (n == "moto", n))
    stopped = [name for name in order if table.stop(name)]
    if "moto" in stopped:
        # The emulator keeps nothing: its Terraform state is stale now.
        for state in paths.terraform_state.glob("*/terraform.tfstate*"):
            state.unlink()
    paths.stack_file.unlink(missing_ok=True)
    return stopped


def load_stack() -> dict[str, Any]:
    path = stack_paths().stack_file
    if not path.exists():
        raise FileNotFoundError("no local stack: run `make up` first")
    return json.loads(path.read_text())
