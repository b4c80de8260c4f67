"""The local stack: moto server on :4566, Terraform applied to it, one worker per service, the X-Ray
relay, the HTTP gateway, the stack's own Redis and the services' emulators. State and logs live under
the git-ignored `.local/` (or a private stack's own directory).

Every port a stack's processes listen on is chosen at `up` (ports.json in the state dir, so an `up` of
a running stack keeps them): a free one, or with `prefer_default_ports` (`make up`) the documented one
while it is free. The chosen addresses reach every process of the stack (workers, gateway, setup
commands, background loops) through the settings the services read (a manifest's `url_env`, REDIS_ENVS),
and are recorded in stack.json (`env`, and per process `port` / `url`)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartpay_shared.local.processes import Managed, ProcessTable
from smartpay_shared.manifest import PORT, STATE, LocalProcess, Manifest, all_manifests, repo_root

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
GATEWAY_PORT = 8080  # `make up` takes it while it is free
XRAY_DAEMON = "127.0.0.1:2000"
# The stack's own redis-server (no persistence), on a free port: never the machine's Redis on 6379, so no
# two stacks share velocity features, routing health or rate limit buckets, and its data dies with the stack.
# `--set-proc-title no`: a retitled redis-server overwrites its environment, where the process table's
# marker lives (then `make down` could not recognise it as ours).
REDIS = LocalProcess(name="redis", argv=["redis-server", "--bind", "127.0.0.1", "--port", PORT, "--save", "",
                                         "--appendonly", "no", "--dir", STATE + "/redis", "--set-proc-title", "no"],
                     url=f"redis://127.0.0.1:{PORT}/0", url_env="REDIS_URL")
# Every setting a process reads its Redis from (the generic one and each service's own, which would win
# over REDIS_URL if the caller's environment had it): all of them get the stack's Redis.
REDIS_ENVS = ("REDIS_URL", "FRAUD_REDIS_URL", "ROUTING_REDIS_URL", "WEBHOOKS_REDIS_URL",
              "SMARTPAY_GATEWAY_REDIS_URL", "SMARTPAY_API_REDIS_URL")
# What `up` exports into its own process environment (a caller's CLI calls then reach this stack);
# testing.stack.private_stack puts the environment back as it was.
EXPORTED = ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


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

    @property
    def ports_file(self) -> Path:
        return self.state / "ports.json"


def stack_paths() -> StackPaths:
    return StackPaths(repo_root())


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).read()
        return True
    except OSError:
        return False


def _listening_sockets(port: int) -> set[str]:
    """Inodes of the sockets listening on `port` (any local address, IPv4 or IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A = LISTEN
                inodes.add(fields[9])
    return inodes


def holds_port(session: int, port: int) -> bool:
    """True if a process of `session` (a managed process and its children: each starts a session) listens on
    `port`: the server answering there is ours, not another stack's that had the port first."""
    inodes = _listening_sockets(port)
    for proc in Path("/proc").iterdir() if inodes else ():
        if not proc.name.isdigit():
            continue
        try:
            if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[3]) != session:
                continue
            if any(os.readlink(fd).removeprefix("socket:[").removesuffix("]") in inodes
                   for fd in (proc / "fd").iterdir()):
                return True
        except (OSError, ValueError, IndexError):
            continue
    return False


def _wait(url: str, timeout: float, what: str, table: ProcessTable | None = None, name: str = "",
          port: int | None = None) -> None:
    """Until `url` answers. With the process's name (and port): answered by that process, which must stay
    alive meanwhile: a server that could not bind its port exits, while another one may answer there."""
    deadline, foreign = time.monotonic() + timeout, False
    while time.monotonic() < deadline:
        managed = table.running(name) if table is not None else None
        if table is not None and managed is None:
            raise RuntimeError(f"{what} exited before answering at {url} (port taken?): see {table.logs / name}.log")
        if _answers(url):
            if managed is None or port is None or holds_port(managed.pid, port):
                return
            foreign = True
        time.sleep(0.2)
    why = f": something else answers there, port {port} is taken" if foreign else ""
    raise TimeoutError(f"{what} did not answer at {url} within {timeout}s{why}")


def _wait_redis(url: str, port: int, timeout: float, table: ProcessTable) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        managed = table.running(REDIS.name)
        if managed is None:
            raise RuntimeError(f"redis-server exited (port taken?): see {table.logs / REDIS.name}.log")
        try:
            if client.ping() and holds_port(managed.pid, port):
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"the stack's redis-server did not answer at {url} within {timeout}s")


def _port_is_free(port: int) -> bool:
    """Nothing listens on `port` on any local address, IPv4 or IPv6 (SO_REUSEADDR as servers set it:
    connections of an earlier server still in TIME_WAIT do not count)."""
    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        address: tuple = ("::", port)
    except OSError:  # no IPv6 on this machine
        probe, address = socket.socket(socket.AF_INET, socket.SOCK_STREAM), ("0.0.0.0", port)
    with probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
            probe.listen(1)
        except OSError:
            return False
    return True


def choose_ports(table: ProcessTable, ports_file: Path, wanted: dict[str, int | None],
                 prefer_default_ports: bool, fixed: dict[str, int] | None = None) -> dict[str, int]:
    """One port per process name: the one recorded for it while it still runs (an `up` of a running stack),
    else its default if asked for and free, else one the kernel hands out (all held open until every port
    is chosen, so no two processes get the same). `fixed` ports are the caller's. Written to `ports_file`
    before anything starts."""
    recorded = json.loads(ports_file.read_text()) if ports_file.exists() else {}
    chosen: dict[str, int] = dict(fixed or {})
    held: list[socket.socket] = []
    try:
        for name, default in wanted.items():
            if name in recorded and table.running(name):
                chosen[name] = int(recorded[name])
            elif prefer_default_ports and default and default not in chosen.values() and _port_is_free(default):
                chosen[name] = default
            else:
                while True:
                    s = socket.socket()
                    s.bind(("127.0.0.1", 0))
                    held.append(s)
                    port = s.getsockname()[1]
                    if port not in chosen.values() and port not in wanted.values():
                        break
                chosen[name] = port
    finally:
        for s in held:
            s.close()
    ports_file.parent.mkdir(parents=True, exist_ok=True)
    ports_file.write_text(json.dumps(chosen, indent=2))
    return chosen


def _fill(template: str, port: int | None, state: Path) -> str:
    text = template.replace(STATE, str(state))
    return text.replace(PORT, str(port)) if port is not None else text


def _resolved(proc: LocalProcess, port: int | None, state: Path) -> LocalProcess:
    """The process with `{port}` and `{state}` filled in everywhere (one port, one source)."""
    return proc.model_copy(update={
        "argv": [_fill(a, port, state) for a in proc.argv],
        "env": {k: _fill(v, port, state) for k, v in proc.env.items()},
        "ready_url": _fill(proc.ready_url, port, state) if proc.ready_url else None,
        "url": _fill(proc.url, port, state) if proc.url else None,
    })


# What the stack's processes sign with when the caller has no AWS credentials: the emulator accepts any; these are
# never real ones, and only ever used against an endpoint on this machine.
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def is_local(endpoint: str) -> bool:
    return endpoint.startswith(("http://127.0.0.1", "http://localhost"))


def base_env(endpoint: str, xray_address: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("AWS_REGION", "us-east-1")
    env.setdefault("AWS_DEFAULT_REGION", env["AWS_REGION"])
    env["AWS_ENDPOINT_URL"] = endpoint
    if is_local(endpoint):
        for name, value in EMULATOR_CREDENTIALS.items():
            env.setdefault(name, value)
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
    # moto's own app, DynamoDB requests one at a time (atomic conditional writes: smartpay_shared.local.moto_server)
    table.start("moto", [sys.executable, "-m", "smartpay_shared.local.moto_server", "-H", "127.0.0.1", "-p", port],
                moto_env)
    _wait(endpoint + "/moto-api/", 30, "moto server")
    return "started"


def up(endpoint: str = DEFAULT_ENDPOINT, gateway_port: int | None = None, xray_address: str = XRAY_DAEMON,
       prefer_default_ports: bool = False,
       terraform_variables: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Start the stack; if any step fails, stop what this call started (not what was already up)
    before re-raising, so a failed `make up` or test fixture leaves no stray processes behind.

    Ports: the gateway on `gateway_port` if given; it, the emulators and sandboxes on free ports, or with
    `prefer_default_ports` (`make up`, the demo) on their documented ports (8080, a manifest's
    `default_port`) while those are free. The stack's Redis is always on a free port.

    `terraform_variables`: per root (platform, a service), values over local.tfvars, e.g. a benchmark's
    short webhook retry schedule; the stack's own addresses still win."""
    table = ProcessTable(stack_paths().state)
    before = {m.name for m in table.all_running()}
    try:
        return _up(table, endpoint, gateway_port, xray_address, prefer_default_ports, terraform_variables or {})
    except BaseException:
        started = [m.name for m in table.all_running() if m.name not in before]
        for name in sorted(started, key=_stop_order):  # the emulator last
            table.stop(name)
        if not table.all_running():
            stack_paths().ports_file.unlink(missing_ok=True)
        raise


def _stop_order(name: str) -> tuple:
    """Workers, gateway and loops first, then the servers they call, the stack's Redis, the emulator last."""
    return (name == "moto", name == REDIS.name, name in local_servers(), name)


def local_servers() -> dict[str, LocalProcess]:
    """Every manifest's processes that listen on a port, by process-table name (`<service>-<name>`)."""
    return {f"{m.service}-{p.name}": p for m in all_manifests().values() for p in m.local_processes if p.listens}


def _up(table: ProcessTable, endpoint: str, gateway_port: int | None, xray_address: str,
        prefer_default_ports: bool = False,
        caller_variables: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    from smartpay_shared.local import terraform

    paths = stack_paths()
    state = paths.state.resolve()
    manifests = all_manifests()
    servers = local_servers()
    wanted: dict[str, int | None] = {REDIS.name: None, **{n: p.default_port for n, p in servers.items()}}
    if gateway_port is None:
        wanted["gateway"] = GATEWAY_PORT
    # The documented emulator address is this stack's own moto, never another stack's: when another
    # checkout's `make up` holds :4566, this one runs its moto on a free port (a LocalStack answering
    # there is an external emulator the user chose, and is used as it is).
    own_moto = endpoint == DEFAULT_ENDPOINT and not _answers(endpoint + "/_localstack/health")
    if own_moto:
        wanted["moto"] = int(DEFAULT_ENDPOINT.rsplit(":", 1)[1])
    ports = choose_ports(table, paths.ports_file, wanted, prefer_default_ports,
                         fixed={} if gateway_port is None else {"gateway": gateway_port})
    if prefer_default_ports:
        for name, default in wanted.items():
            if default and ports[name] != default:
                print(f"==> {name}: port {default} is taken, using {ports[name]} (see `make status`)", flush=True)

    if own_moto:
        endpoint = f"http://127.0.0.1:{ports['moto']}"  # becomes AWS_ENDPOINT_URL of every process
    env = base_env(endpoint, xray_address)
    env["SMARTPAY_LOCAL_DIR"] = str(state)
    emulator = start_emulator(table, endpoint, env)
    os.environ.update({k: env[k] for k in EXPORTED if k in env})

    # The stack's own Redis, then the address of every server of the stack under the setting its clients
    # read: set once here, so the workers, gateway, setup commands and loops all get the same values.
    redis = _resolved(REDIS, ports[REDIS.name], state)
    redis_server = shutil.which("redis-server")
    if not redis_server:
        raise RuntimeError("redis-server is not installed: each local stack runs its own "
                           "(apt-get install redis-server)")
    (state / "redis").mkdir(parents=True, exist_ok=True)
    table.start(REDIS.name, [redis_server, *redis.argv[1:]], env)
    _wait_redis(redis.url, ports[REDIS.name], 30, table)
    resolved = {name: _resolved(proc, ports[name], state) for name, proc in servers.items()}
    stack_env = {"SMARTPAY_LOCAL_DIR": str(state), "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": env["AWS_REGION"],
                 **{name: redis.url for name in REDIS_ENVS},
                 **{proc.url_env: proc.url for proc in resolved.values() if proc.url_env and proc.url},
                 "FRAUD_CACHE_DIR": str(state / "fraud" / "models")}  # the fraud model cache: this stack's
    env.update(stack_env)

    # This stack's own addresses go to Terraform as variables, so the functions it deploys carry them and
    # every process below runs with its function's environment read back from the emulator.
    own = terraform_variables(manifests, redis.url, resolved)
    variables = {root: {**(caller_variables or {}).get(root, {}), **own.get(root, {})}
                 for root in {*own, *(caller_variables or {})}}
    outputs = terraform.apply_stack(endpoint_url=endpoint, state_dir=paths.terraform_state, variables=variables)
    platform = outputs.get("platform", outputs)
    deployed = deployed_environments(outputs, endpoint, env["AWS_REGION"])

    stack_env.update({
        "SMARTPAY_NAME_PREFIX": platform.get("name_prefix", "smartpay"),
        "SMARTPAY_BUS_NAME": platform["bus_name"],
        "SMARTPAY_USER_POOL_ID": platform["user_pool_id"],
        "SMARTPAY_USER_POOL_CLIENT_ID": platform["user_pool_client_id"],
    })
    for manifest in manifests.values():  # service-prefixed names: one environment serves every process
        stack_env.update({k: v.replace("{repo}", str(paths.root)) for k, v in manifest.local_env.items()})
    env.update(stack_env)
    gateway_env = gateway_settings_env(endpoint, platform, ports["gateway"])
    python = sys.executable
    table.start("xray", [python, "-m", "smartpay_shared.local.xray_daemon"], env)
    for manifest in manifests.values():
        # Servers (a ready_url) first, then the setup that may need them (e.g. secrets put into moto and
        # registered with a sandbox), then the background loops (no ready_url) that read what setup wrote.
        named = {f"{manifest.service}-{p.name}": resolved.get(f"{manifest.service}-{p.name}") or
                 _resolved(p, None, state) for p in manifest.local_processes}
        functions = deployed[manifest.service]
        for name, proc in named.items():
            if proc.ready_url:
                table.start(name, _argv(proc.argv), {**env, **proc.env})
                _wait(proc.ready_url, 60, f"{manifest.service} {proc.name}", table, name, ports.get(name))
        for command in manifest.local_setup:  # setup runs as the service's worker does
            print(f"==> {manifest.service}: {' '.join(command)}", flush=True)
            subprocess.run(_argv(command), env={**env, **functions["worker"]}, check=True)
        for name, proc in named.items():
            if not proc.ready_url:
                table.start(name, _argv(proc.argv), loop_environment(env, functions, proc))
    for service in manifests:
        # The worker runs what Terraform deployed: its function's name (its reserved concurrency is read
        # back from the emulator) and its event source mapping's batch size.
        worker = outputs["services"][service]["functions"]["worker"]
        table.start(f"worker-{service}", [python, "-m", "smartpay_shared.local.run_worker", service,
                                          "--function-name", worker["name"],
                                          "--batch-size", str(worker["batch_size"])],
                    {**env, **deployed[service]["worker"]})
    table.start("gateway", [python, "-m", "smartpay_shared.local.gateway"], {**env, **gateway_env})
    gateway_url = f"http://127.0.0.1:{ports['gateway']}"
    _wait(gateway_url + "/health", 30, "gateway", table, "gateway", ports["gateway"])
    os.environ.update(stack_env)  # this process's own CLI calls (the demo's, a test's) reach this stack

    urls = {REDIS.name: redis.url, "gateway": gateway_url,
            **{name: proc.url for name, proc in resolved.items() if proc.url}}

    def described(m: Managed) -> dict[str, Any]:
        where = {"port": ports[m.name]} if m.name in ports else {}
        return {"pid": m.pid, "log": str(m.log), **where, **({"url": urls[m.name]} if m.name in urls else {})}

    stack = {
        "state_dir": str(state),
        "aws_endpoint_url": endpoint,
        "emulator": emulator,
        "region": env["AWS_REGION"],
        "gateway_url": gateway_url,
        "openapi_url": gateway_url + "/openapi.json",
        "xray_daemon": xray_address,
        "redis_url": redis.url,
        "bus_name": platform["bus_name"],
        "archive_name": platform.get("archive_name", platform["bus_name"] + "-archive"),
        "user_pool_id": platform["user_pool_id"],
        "user_pool_client_id": platform["user_pool_client_id"],
        # What a client of this stack sets to reach it (`smartpay stack env`): the same settings the stack's
        # own processes got, the emulators' and Redis's addresses among them. No credentials.
        "env": stack_env,
        "terraform_outputs": outputs,
        "processes": {m.name: described(m) for m in table.all_running()},
    }
    paths.stack_file.write_text(json.dumps(stack, indent=2, default=str))
    return stack


def terraform_variables(manifests: dict[str, Manifest], redis_url: str,
                        servers: dict[str, LocalProcess]) -> dict[str, dict[str, str]]:
    """Per root, this stack's own addresses: its Redis (platform `redis_url`) and each server whose
    `url_env` is a service's setting (PAYMENT_STRIPE_API_BASE -> the payment root's `stripe_api_base`)."""
    variables: dict[str, dict[str, str]] = {"platform": {"redis_url": redis_url}}
    for manifest in manifests.values():
        prefix = manifest.service.upper() + "_"
        for proc in manifest.local_processes:
            server = servers.get(f"{manifest.service}-{proc.name}")
            if server and server.url and server.url_env and server.url_env.startswith(prefix):
                variables.setdefault(manifest.service, {})[server.url_env[len(prefix):].lower()] = server.url
        for setting, server_name in manifest.local_servers_used.items():
            server = servers.get(server_name)
            if server is None or not server.url:
                raise ValueError(f"{manifest.service}: local_servers_used names {server_name}, which no manifest runs")
            variables.setdefault(manifest.service, {})[setting[len(prefix):].lower()] = server.url
    return variables


def loop_environment(env: dict[str, str], functions: dict[str, dict[str, str]],
                     proc: LocalProcess) -> dict[str, str]:
    """A background loop's environment: the stack's, then that of the deployed function it stands in for
    (`function`: the payment sweeper runs as smartpay-payment-sweeper), then its own."""
    return {**env, **functions[proc.function], **proc.env}


def deployed_environments(outputs: dict[str, Any], endpoint: str,
                          region: str) -> dict[str, dict[str, dict[str, str]]]:
    """service -> function kind (worker, api, a scheduled function's name) -> that function's environment as
    Terraform deployed it, read from this stack's emulator (named explicitly: a process that ran another stack
    before keeps its cached settings)."""
    from smartpay_shared import aws

    client = aws.client("lambda", endpoint_url=endpoint, region=region)
    return {service: {kind: client.get_function_configuration(FunctionName=fn["name"])
                      .get("Environment", {}).get("Variables", {}) for kind, fn in out["functions"].items()}
            for service, out in outputs["services"].items()}


def exported_names() -> tuple[str, ...]:
    """Every variable `up` may set in its own process environment (to put it back after a private stack)."""
    local_env = {k for m in all_manifests().values() for k in m.local_env}
    url_envs = {p.url_env for p in local_servers().values() if p.url_env}
    return tuple(sorted({*EXPORTED, *REDIS_ENVS, *url_envs, *local_env, "SMARTPAY_LOCAL_DIR", "FRAUD_CACHE_DIR",
                         "SMARTPAY_NAME_PREFIX", "SMARTPAY_BUS_NAME", "SMARTPAY_USER_POOL_ID",
                         "SMARTPAY_USER_POOL_CLIENT_ID"}))


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
    """Stop what `up` started (workers first, then the servers and Redis, the emulator last), by pid file only."""
    paths = stack_paths()
    table = ProcessTable(paths.state)
    order = sorted((m.name for m in table.all_running()), key=_stop_order)
    stopped = [name for name in order if table.stop(name)]
    paths.ports_file.unlink(missing_ok=True)
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
