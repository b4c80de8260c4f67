"""A service's manifest (`services/<name>/manifest.json` + `VERSION`): the one place that says what
it consumes, emits and serves. Terraform reads the same file with jsondecode()."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from smartpay_shared.events.catalog import CATALOG


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: str
    description: str = ""
    detail_filter: dict[str, Any] | None = Field(
        default=None, description="Extra EventBridge pattern applied under `detail`."
    )

    @field_validator("event_type")
    @classmethod
    def _in_catalog(cls, value: str) -> str:
        if value not in CATALOG:
            raise ValueError(f"{value!r} is not in the event catalog")
        return value

    @property
    def rule_suffix(self) -> str:
        return self.event_type.replace(".", "-").replace("_", "-")


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str = Field(pattern=r"^/[A-Za-z0-9_/{}.-]*$")


PORT = "{port}"  # in argv, env values, ready_url and url: the port `stack up` chose for this process
STATE = "{state}"  # the stack's own state directory (.local, or a private stack's)


class LocalProcess(BaseModel):
    """A process the local stack runs for this service (an emulator it needs, a sweeper...).

    A server says where it listens with `{port}` (in argv, ready_url, url): `stack up` picks the port once
    per process (a free one; `make up` takes `default_port` while it is free) and every template of the
    process is filled from that one number. `url_env` names the setting the services read the server's
    address from; every process of the stack (workers, gateway, setup commands, loops) gets it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,40}$")
    argv: list[str] = Field(min_length=1, description="argv[0] 'python' / 'smartpay' = the stack's venv.")
    env: dict[str, str] = Field(default_factory=dict)
    ready_url: str | None = Field(default=None, description="GET until it answers before going on.")
    default_port: int | None = Field(default=None, ge=1, le=65535,
                                     description="The documented port `make up` takes when it is free.")
    url: str | None = Field(default=None, description="The server's address for clients, e.g. http://127.0.0.1:{port}")
    url_env: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]*$",
                                description="The setting that carries `url` to every process of the stack.")
    function: str = Field(default="worker", pattern=r"^[a-z][a-z0-9-]{1,20}$",
                          description="The deployed function this process stands in for (`worker`, or one of the "
                                      "manifest's `scheduled` functions): a background loop runs with that "
                                      "function's environment as Terraform deployed it, read back from the emulator.")

    @property
    def listens(self) -> bool:
        """True when the process needs a port (`{port}` in its argv, env, ready_url or url)."""
        templates = [*self.argv, *self.env.values(), self.ready_url or "", self.url or ""]
        return any(PORT in t for t in templates)

    @model_validator(mode="after")
    def _port_is_used(self) -> LocalProcess:
        if self.url_env and not self.url:
            raise ValueError(f"{self.name}: url_env needs a url")
        told = any(PORT in t for t in [*self.argv, *self.env.values()])
        if (self.listens or self.default_port) and not told:
            raise ValueError(f"{self.name}: a port but no {PORT} in argv or env: the process is never told it")
        return self


RESERVED_KINDS = ("worker", "api")  # the queue and API functions; a scheduled function takes another name


class ScheduledFunction(BaseModel):
    """A function an EventBridge schedule invokes (e.g. payment's sweeper): deployed as
    `<prefix>-<service>-<name>` with its own role, the service's environment, and a rule of that name on the
    default bus. Locally a `local_processes` loop whose `function` names it stands in for the schedule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,20}$")
    handler: str = Field(pattern=r"^[a-z_][a-z0-9_.]*:[a-z_][a-z0-9_]*$", description="module:function")
    schedule: str = Field(pattern=r"^(rate|cron)\(.+\)$", description="EventBridge schedule expression.")
    description: str = ""
    emits: list[str] = Field(default_factory=list,
                             description="Event types the function puts (a subset of the service's `emits`); "
                                         "its role may put nothing else.")

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_KINDS:
            raise ValueError(f"{value!r} is the queue or API function's kind")
        return value


class LambdaPackage(BaseModel):
    """What the service's Lambda artifact holds besides its own code (`make package`,
    smartpay_shared.local.packaging): both functions of the service run the same artifact."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    package_type: Literal["Zip", "Image"] = Field(
        description="Zip: the python3.11 managed runtime (Amazon Linux 2, glibc 2.26), so only wheels up to "
                    "manylinux_2_26 (manylinux2014 and older); Image: a container image on Amazon Linux 2023 "
                    "(glibc 2.34), for wheels that need a newer glibc or a package over 250 MB.")
    requirements: list[str] = Field(
        default_factory=list,
        description="Distributions the serving path imports, on top of smartpay-shared's own dependencies; "
                    "names only: the versions come from requirements/constraints.txt.")
    extra_handlers: list[str] = Field(
        default_factory=list, description="module:function of further functions the artifact serves.")
    not_shipped: dict[str, str] = Field(
        default_factory=dict,
        description="Top-level modules the packaged code imports (lazily) that the artifact leaves out, "
                    "each with the reason the functions never reach that import.")


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str = Field(pattern=r"^[a-z][a-z0-9-]{1,30}$")
    package: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    description: str
    queue_handler: str = Field(description="module:function of the SQS Lambda handler")
    api_handler: str | None = Field(default=None, description="module:function of the API handler")
    subscriptions: list[Subscription]
    emits: list[str]
    routes: list[Route] = Field(default_factory=list)
    local_processes: list[LocalProcess] = Field(default_factory=list)
    local_setup: list[list[str]] = Field(
        default_factory=list, description="Commands `make up` runs after Terraform (e.g. train a model).")
    local_env: dict[str, str] = Field(
        default_factory=dict, description="Settings for the local stack only; `{repo}` is the checkout.")
    local_servers_used: dict[str, str] = Field(
        default_factory=dict,
        description="This service's settings that take the address of ANOTHER service's local server: setting "
                    "(`<SERVICE>_...`) -> `<service>-<process name>` (e.g. REWARDS_SOLANA_RPC_URL -> "
                    "payment-solana-sandbox). The stack passes the url as the same Terraform variable a server "
                    "of its own would be (`solana_rpc_url`), so the deployed functions carry it.")
    max_concurrency: int = Field(
        default=1, ge=1, le=1000,
        description="Most concurrent invocations of the queue worker: Terraform sets it as the worker "
                    "function's reserved concurrency, and the local worker runs as many invocations at "
                    "once as the deployed function allows (read back from the emulator).")
    batch_size: int = Field(
        default=1, ge=1, le=10,
        description="Records per queue worker invocation: Terraform sets it as the event source mapping's "
                    "batch_size (the worker answers failed records in `batchItemFailures`, which the mapping's "
                    "ReportBatchItemFailures retries alone), and the local worker receives batches of it.")
    api_emits: list[str] = Field(
        default_factory=list,
        description="Event types the API function puts (a subset of `emits`); empty: its role may not PutEvents. "
                    "The queue worker may put every type in `emits`.")
    scheduled: list[ScheduledFunction] = Field(default_factory=list)
    api_max_concurrency: int = Field(
        default=10, ge=1, le=1000,
        description="Most concurrent invocations of the API function: its reserved concurrency in Terraform, "
                    "and how many environments of the handler the local gateway runs (read back likewise).")
    lambda_package: LambdaPackage | None = Field(
        default=None, description="The Lambda artifact's third-party contents and kind (`make package`).")
    version: str = ""

    @property
    def handlers(self) -> dict[str, str]:
        """Every Lambda handler the service's artifact serves: kind (worker, api, a scheduled function's name,
        or the module's last part for an extra handler) -> module:function."""
        out = {"worker": self.queue_handler}
        if self.api_handler:
            out["api"] = self.api_handler
        out.update({f.name: f.handler for f in self.scheduled})
        for ref in self.lambda_package.extra_handlers if self.lambda_package else []:
            out[ref.partition(":")[0].rsplit(".", 1)[-1]] = ref
        return out

    @field_validator("emits")
    @classmethod
    def _emits_in_catalog(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in CATALOG]
        if unknown:
            raise ValueError(f"not in the event catalog: {unknown}")
        return values

    @model_validator(mode="after")
    def _functions_are_consistent(self) -> Manifest:
        emits = set(self.emits)
        for who, types in [("api_emits", self.api_emits), *((f"scheduled {f.name}", f.emits) for f in self.scheduled)]:
            if set(types) - emits:
                raise ValueError(f"{who}: {sorted(set(types) - emits)} not in the service's emits")
        kinds = {"worker", *(f.name for f in self.scheduled)}
        if len(self.scheduled) != len({f.name for f in self.scheduled}):
            raise ValueError("two scheduled functions share a name")
        prefix = self.service.upper().replace("-", "_") + "_"
        for setting in self.local_servers_used:
            if not setting.startswith(prefix):
                raise ValueError(f"local_servers_used: {setting} is not a {prefix}* setting of this service")
        for proc in self.local_processes:
            if proc.function not in kinds:
                raise ValueError(f"local process {proc.name}: no deployed function {proc.function!r} "
                                 f"(worker or a scheduled function)")
        return self

    @property
    def function_kinds(self) -> list[str]:
        """The functions Terraform deploys for this service, by kind: worker, api (with routes), scheduled ones."""
        return ["worker", *(["api"] if self.api_handler and self.routes else []), *(f.name for f in self.scheduled)]


def repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "services").is_dir() and (parent / "shared").is_dir():
            return parent
    raise FileNotFoundError("cannot find the SmartPay repository root above " + str(here))


def services_dir() -> Path:
    return repo_root() / "services"


def load_manifest(service_dir: Path) -> Manifest:
    raw = json.loads((service_dir / "manifest.json").read_text())
    raw["version"] = (service_dir / "VERSION").read_text().strip()
    return Manifest.model_validate(raw)


def all_manifests() -> dict[str, Manifest]:
    found = {}
    for path in sorted(services_dir().iterdir()):
        if (path / "manifest.json").is_file():
            manifest = load_manifest(path)
            found[manifest.service] = manifest
    return found
