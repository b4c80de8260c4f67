"""Platform settings shared by every service, read from the environment once at cold start, and the
vocabulary of the environment contract (docs/terraform.md, "Environment contract").

The contract: a Lambda function's environment is exactly the keys of the settings classes it loads,
each class with one prefix (the platform's `SMARTPAY_`, a service's `FRAUD_`, `ROUTING_`, `PAYMENT_`,
`CHAT_`). Every field says who sets its key (`set_by`): Terraform (on every function that loads the
class, or only `when` a condition holds), the Lambda runtime, the local stack, an operator's CLI, the
tests, or nobody (the default applies). tests/contract checks a real apply against these classes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings, SettingsConfigDict


class SetBy(StrEnum):
    """Who gives a setting its value on a deployed function."""

    TERRAFORM = "Terraform"  # every function that loads the class gets the key (or only `when`)
    LAMBDA = "Lambda runtime"  # a reserved variable Lambda sets itself; Terraform cannot
    LOCAL = "local stack"  # emulator plumbing, never set on AWS
    CLI = "CLI only"  # read by an operator's command, not by a function
    TESTS = "tests only"  # never set in a deployed environment
    DEFAULT = "default"  # nobody: the default applies unless an operator overrides it


def deployed(what: str, *, when: str | None = None) -> dict[str, Any]:
    """`json_schema_extra` of a setting Terraform sets: `what` it is set to, and `when` if not always."""
    return {"set_by": SetBy.TERRAFORM.value, "terraform": what, **({"when": when} if when else {})}


def set_by(who: SetBy, why: str = "") -> dict[str, Any]:
    """`json_schema_extra` of a setting Terraform does not set, and why."""
    if who is SetBy.TERRAFORM:
        raise ValueError("use deployed() for settings Terraform sets")
    return {"set_by": who.value, **({"why": why} if why else {})}


@dataclass(frozen=True)
class EnvKey:
    """One environment key of a settings class, as the contract and the generated docs see it."""

    name: str
    field: str
    description: str
    default: str | None  # None: required (no default)
    set_by: SetBy
    terraform: str = ""  # what Terraform sets it to (SetBy.TERRAFORM)
    when: str = ""  # only when this holds (SetBy.TERRAFORM); empty: always
    why: str = ""  # why nobody sets it on AWS (other SetBy)

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def always_deployed(self) -> bool:
        return self.set_by is SetBy.TERRAFORM and not self.when


def env_name(settings_cls: type[BaseSettings], name: str, field: FieldInfo) -> str:
    """The one environment key a field is read from: its `validation_alias` (a plain string: no field of
    a contract class has several names) or the class's prefix + the field name, upper case."""
    alias = field.validation_alias
    if alias is None:
        return (settings_cls.model_config.get("env_prefix", "") + name).upper()
    if not isinstance(alias, str):
        raise TypeError(f"{settings_cls.__name__}.{name}: one environment key per setting, not {alias!r}")
    return alias.upper()


def _default(field: FieldInfo) -> str | None:
    if field.default_factory is not None:
        return "(computed)"
    if field.default is PydanticUndefined:
        return None
    value = field.default
    if hasattr(value, "value"):  # an enum
        value = value.value
    return "" if value is None else str(value)


def environment_keys(settings_cls: type[BaseSettings]) -> dict[str, EnvKey]:
    """Every environment key the class reads, by name."""
    keys: dict[str, EnvKey] = {}
    for name, field in settings_cls.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        key = EnvKey(name=env_name(settings_cls, name, field), field=name, description=field.description or "",
                     default=_default(field), set_by=SetBy(extra.get("set_by", SetBy.DEFAULT.value)),
                     terraform=str(extra.get("terraform", "")), when=str(extra.get("when", "")),
                     why=str(extra.get("why", "")))
        if key.name in keys:
            raise ValueError(f"{settings_cls.__name__}: {key.name} is read by two fields")
        keys[key.name] = key
    return keys


class PlatformSettings(BaseSettings):
    """What every function reads, whatever its service: names shared by the platform, and the one setting
    that moves the stack between moto, LocalStack and AWS (`AWS_ENDPOINT_URL`)."""

    model_config = SettingsConfigDict(env_prefix="SMARTPAY_", extra="ignore")

    name_prefix: str = Field(default="smartpay", pattern=r"^[a-z][a-z0-9-]{1,20}$",
                             description="Prefix of every resource name (queue `<p>-<service>`, buckets...).",
                             json_schema_extra=deployed("the platform's `name_prefix`"))
    bus_name: str = Field(default="", description="The platform event bus; empty: `<name_prefix>-bus`.",
                          json_schema_extra=deployed("the platform bus, `<p>-bus`"))
    region: str = Field(default="us-east-1", validation_alias="AWS_REGION", description="AWS region of every client.",
                        json_schema_extra=set_by(SetBy.LAMBDA, "a reserved variable"))
    endpoint_url: str | None = Field(
        default=None,
        validation_alias="AWS_ENDPOINT_URL",
        description="http://127.0.0.1:4566 for moto/LocalStack; unset for AWS.",
        json_schema_extra=set_by(SetBy.LOCAL, "the emulator's address; unset on AWS"),
    )
    local_dir: Path | None = Field(
        default=None, description="The local stack's state directory (chat's embedded index and fraud's model "
                                  "cache default under it); unset on AWS.",
        json_schema_extra=set_by(SetBy.LOCAL, "each stack's own state directory"))

    @property
    def event_bus(self) -> str:
        return self.bus_name or f"{self.name_prefix}-bus"

    def queue_name(self, service: str) -> str:
        return f"{self.name_prefix}-{service}"

    def dlq_name(self, service: str) -> str:
        return f"{self.name_prefix}-{service}-dlq"


DEFAULT_MAX_BODY_BYTES = 256 * 1024  # far above any SmartPay body; API Gateway's own cap is 10 MB


class ApiSettings(BaseSettings):
    """What every API function reads besides its service's settings (smartpay_shared.api.build_resolver):
    the request body limit and the per-merchant rate limit, whose buckets live in Redis (ElastiCache)."""

    model_config = SettingsConfigDict(env_prefix="SMARTPAY_API_", extra="ignore")

    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, gt=0, description="Larger request bodies get 413.")
    rate_limit_per_second: float = Field(
        default=0, ge=0, description="Requests a second per merchant; 0: no limit in the resolver.",
        json_schema_extra=deployed("platform variable `api_rate_limit_per_second` (50; 0 locally, where the "
                                   "local gateway limits)"))
    rate_limit_burst: int | None = Field(
        default=None, ge=1, description="Requests a merchant may save up; unset: twice the rate.",
        json_schema_extra=deployed("platform variable `api_rate_limit_burst` (100)"))
    redis_url: str | None = Field(
        default=None, description="Redis holding the buckets; required with a rate limit.",
        json_schema_extra=deployed("the platform cache (`redis://<cache>:6379/0`), else platform variable "
                                   "`redis_url`"))

    @model_validator(mode="after")
    def _redis_for_a_limit(self) -> ApiSettings:
        if self.rate_limit_per_second > 0 and not self.redis_url:
            raise ValueError("SMARTPAY_API_RATE_LIMIT_PER_SECOND is set but no Redis URL (SMARTPAY_API_REDIS_URL) "
                             "holds the buckets")
        return self

    @property
    def burst(self) -> int:
        return self.rate_limit_burst or max(1, round(self.rate_limit_per_second * 2))


def from_environ(settings_cls: type[BaseSettings], environ: dict[str, str]) -> Any:
    """The settings from `environ` alone (not the process environment): its keys, by the contract's names."""
    fields = settings_cls.model_fields
    by_key = {key.name: key.name if fields[key.field].validation_alias else key.field
              for key in environment_keys(settings_cls).values()}
    values = {by_key[name.upper()]: value for name, value in environ.items() if name.upper() in by_key}
    return _isolated(settings_cls)(**values)


@lru_cache(maxsize=None)
def _isolated(settings_cls: type[BaseSettings]) -> type[BaseSettings]:
    """A subclass reading its constructor's arguments only (no environment, no dotenv, no secrets dir)."""

    def sources(cls: type[BaseSettings], settings_cls: type[BaseSettings], init_settings: Any, **_: Any) -> tuple:
        return (init_settings,)

    return type(settings_cls.__name__, (settings_cls,), {"settings_customise_sources": classmethod(sources),
                                                         "__module__": settings_cls.__module__})


@lru_cache(maxsize=1)
def platform_settings() -> PlatformSettings:
    return PlatformSettings()
