"""Ports of a local stack: chosen once per process at `stack up` (the documented one while free when asked
for, else a free one; kept while the process runs), filled into every template of the process from that
one number, and a server that could not take its port is an error, never silently someone else's."""

import http.server
import json
import os
import signal
import socket
import sys
import threading

import pytest
from pydantic import ValidationError

from smartpay_shared.local import stack
from smartpay_shared.local.processes import ProcessTable
from smartpay_shared.manifest import LocalProcess, all_manifests

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def listening():
    """A socket listening on a port (someone else's server)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    yield s.getsockname()[1]
    s.close()


def free_default() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_default_port_while_free_else_a_free_one(tmp_path, listening):
    table, ports_file = ProcessTable(tmp_path), tmp_path / "ports.json"
    default = free_default()
    chosen = stack.choose_ports(table, ports_file, {"free-default": default, "taken-default": listening,
                                                    "no-default": None}, prefer_default_ports=True)
    assert chosen["free-default"] == default
    assert chosen["taken-default"] != listening  # fell back
    assert len(set(chosen.values())) == 3
    assert json.loads(ports_file.read_text()) == chosen


def test_a_private_stack_never_takes_the_documented_ports(tmp_path):
    default = free_default()
    chosen = stack.choose_ports(ProcessTable(tmp_path), tmp_path / "ports.json", {"emu": default, "redis": None},
                                prefer_default_ports=False, fixed={"gateway": 1234})
    assert chosen["emu"] != default and chosen["gateway"] == 1234 and len(set(chosen.values())) == 3


def test_a_running_process_keeps_its_port_a_stopped_one_gets_a_new_choice(tmp_path):
    table, ports_file = ProcessTable(tmp_path), tmp_path / "ports.json"
    first = stack.choose_ports(table, ports_file, {"emu": None, "other": None}, False)
    table.start("emu", SLEEP, dict(os.environ))
    try:
        again = stack.choose_ports(table, ports_file, {"emu": None, "other": None}, False)
        assert again["emu"] == first["emu"]  # `up` of a running stack: the server is still there
    finally:
        table.stop("emu")


def test_port_and_state_are_filled_everywhere_from_one_number(tmp_path):
    proc = LocalProcess(name="emu", argv=["emu", "--port", "{port}", "--data", "{state}/emu"],
                        env={"EMU_LISTEN": "127.0.0.1:{port}"}, ready_url="http://127.0.0.1:{port}/health",
                        url="http://127.0.0.1:{port}", url_env="EMU_URL", default_port=8999)
    filled = stack._resolved(proc, 43210, tmp_path)
    assert filled.argv == ["emu", "--port", "43210", "--data", f"{tmp_path}/emu"]
    assert filled.env == {"EMU_LISTEN": "127.0.0.1:43210"}
    assert (filled.ready_url, filled.url) == ("http://127.0.0.1:43210/health", "http://127.0.0.1:43210")


def test_a_port_the_process_is_never_told_or_a_setting_without_a_url_is_refused():
    with pytest.raises(ValidationError, match="never told"):
        LocalProcess(name="emu", argv=["emu", "--port", "8420"], ready_url="http://127.0.0.1:{port}/")
    with pytest.raises(ValidationError, match="url_env needs a url"):
        LocalProcess(name="emu", argv=["emu", "--port", "{port}"], url_env="EMU_URL")


def test_every_manifest_server_has_a_port_placeholder_and_hands_its_address_to_the_stack():
    for manifest in all_manifests().values():
        for proc in manifest.local_processes:
            if proc.ready_url:
                assert proc.listens and "{port}" in proc.ready_url, (manifest.service, proc.name)
                assert not any(str(proc.default_port) in a for a in proc.argv), "a fixed port in argv"
                assert proc.url and proc.url_env, (manifest.service, proc.name)
    assert stack.REDIS.listens and stack.REDIS.url_env == "REDIS_URL"


def test_a_server_that_could_not_take_its_port_is_an_error_not_someone_elses_server(tmp_path):
    # GIVEN someone else's server answering on the port, and our process exiting (its bind failed)
    other = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    table = ProcessTable(tmp_path)
    table.start("emu", [sys.executable, "-c", "import time; time.sleep(0.5); raise SystemExit(1)"], dict(os.environ))
    try:
        # THEN waiting for it fails, naming its log, although the URL answers
        with pytest.raises(RuntimeError, match="emu.log"):
            stack._wait(f"http://127.0.0.1:{other.server_port}/", 10, "emu", table, "emu", other.server_port)
    finally:
        other.shutdown()
        table.stop("emu")


def test_a_live_process_is_not_ready_while_someone_else_answers_on_its_port(tmp_path):
    other = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    table = ProcessTable(tmp_path)
    table.start("emu", SLEEP, dict(os.environ))  # alive, but it never listens on that port
    try:
        with pytest.raises(TimeoutError, match=f"port {other.server_port} is taken"):
            stack._wait(f"http://127.0.0.1:{other.server_port}/", 1.5, "emu", table, "emu", other.server_port)
    finally:
        other.shutdown()
        table.stop("emu")


def test_a_process_holding_its_port_is_ready(tmp_path):
    port = free_default()
    table = ProcessTable(tmp_path)
    table.start("emu", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)], dict(os.environ))
    try:
        stack._wait(f"http://127.0.0.1:{port}/", 20, "emu", table, "emu", port)
        assert stack.holds_port(table.running("emu").pid, port)
    finally:
        table.stop("emu")


def test_a_process_is_recognised_as_ours_right_after_it_started(tmp_path):
    """Popen returns while the kernel may still be inside execve (the new image's environment, where the
    marker is, not mapped yet: /proc/<pid>/environ reads empty, a few times in a hundred here): that is no
    stranger, and its pid file stays (else `make down` would leave it running)."""
    table = ProcessTable(tmp_path)
    strangers = 0
    for _ in range(300):
        managed = table.start("emu", ["sleep", "30"], dict(os.environ))
        strangers += table.running("emu") is None
        os.killpg(managed.pid, signal.SIGKILL)
        (tmp_path / "pids" / "emu.pid").unlink(missing_ok=True)
    assert strangers == 0
