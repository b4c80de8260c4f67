"""The environment contract on a real apply (issue #15, item 1): the Terraform applied to a moto server of our
own, twice (the local target as a stack applies it, and an AWS-like one with every optional resource on),
then for every deployed Lambda function its environment as Lambda reports it (GetFunctionConfiguration)
against the settings classes that function loads (its handler imported in a clean interpreter with exactly
that environment): nothing unknown, nothing missing, every class valid at cold start."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from smartpay_shared.config import ApiSettings, PlatformSettings
from smartpay_shared.local import terraform
from smartpay_shared.manifest import all_manifests

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
# What a local stack passes over local.tfvars (its own Redis and emulator ports): they must reach the functions.
STACK_REDIS = "redis://127.0.0.1:16399/0"
STACK_URLS = {"stripe_api_base": "http://127.0.0.1:18420", "amazon_pay_endpoint": "http://127.0.0.1:18430",
              "solana_rpc_url": "http://127.0.0.1:18899"}
AWS_REDIS = "redis://awslike-cache.abc123.0001.use1.cache.amazonaws.com:6379/0"
VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "local": {"platform": {"redis_url": STACK_REDIS}, "payment": STACK_URLS},
    # As on AWS: the search domain, the real providers, no faults, the rate limit on; its own name prefix,
    # so both stacks live side by side on one moto server. Not the cache (provider 3.39 refused the cache
    # module's engine_version "7.1" at apply; not retried under 5.100): the cache's URL (platform output
    # redis_url) is checked by platform.tftest.hcl, and an explicit redis_url stands in for it here.
    "aws": {
        "platform": {"name_prefix": "awslike", "enable_cache": False, "redis_url": AWS_REDIS,
                     "api_rate_limit_per_second": 50, "api_rate_limit_burst": 100},
        "chat": {"enable_search_domain": True},
        "routing": {"catalog_file": "catalog.yaml", "endpoint_name": "awslike-routing"},
        "payment": {"stripe_api_base": "https://api.stripe.com", "amazon_pay_endpoint": "https://pay-api.amazon.com",
                    "solana_rpc_url": "https://api.devnet.solana.com", "fault_injection": False},
        "rewards": {"exchange_venue": "ccxt"},  # the venue's settings and its API key's secret
    },
}


@pytest.fixture(scope="module")
def applied(endpoint, tmp_path_factory, request) -> dict[str, dict[str, Any]]:
    """Both variants applied at once (most of an apply is the provider waiting on Lambda creation)."""
    live = request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled

    def apply(variant: str) -> dict[str, Any]:
        return terraform.apply_stack(endpoint_url=endpoint, state_dir=tmp_path_factory.mktemp(f"tf-{variant}"),
                                     repo_root=REPO_ROOT, variables=VARIANTS[variant])

    with live():
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(VARIANTS)) as pool:
            outputs = dict(zip(VARIANTS, pool.map(apply, VARIANTS)))
        print(f"=== apply_stack x{len(VARIANTS)} ({', '.join(VARIANTS)}): {time.monotonic() - started:.1f} s")
    return outputs


@pytest.fixture(scope="module")
def deployed(applied, endpoint) -> dict[tuple[str, str, str], tuple[str, dict[str, str]]]:
    """(variant, service, kind) -> (function name, its environment as Lambda reports it)."""
    lam = boto3.client("lambda", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test",
                       aws_secret_access_key="test")
    found = {}
    for variant, outputs in applied.items():
        for service, out in outputs["services"].items():
            for kind, fn in out["functions"].items():
                config = lam.get_function_configuration(FunctionName=fn["name"])
                found[(variant, service, kind)] = (fn["name"], config.get("Environment", {}).get("Variables", {}))
    return found


def lambda_runtime(function_name: str, cwd: Path) -> dict[str, str]:
    """What Lambda itself puts into every function's environment (reserved keys), and what an interpreter
    needs; no AWS_ENDPOINT_URL: the handler imports as on AWS."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8",
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_LAMBDA_FUNCTION_NAME": function_name,
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test",
            "AWS_EC2_METADATA_DISABLED": "true", "_HANDLER": "", "LAMBDA_TASK_ROOT": str(cwd)}


def test_every_function_the_manifests_declare_is_deployed(deployed, contract):
    expected = {(v, s, k) for v in VARIANTS for s, kinds in contract.functions().items() for k in kinds}
    assert set(deployed) == expected


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_each_function_gets_exactly_the_keys_its_settings_read(variant, function_kind, deployed, contract,
                                                                tmp_path):
    service, kind = function_kind
    name, environment = deployed[(variant, service, kind)]
    manifest = all_manifests()[service]
    handler = contract.functions()[service][kind]
    probe = contract.probe(handler, manifest.package, environment, lambda_runtime(name, tmp_path), tmp_path)
    # The rule the docs state: the platform's settings everywhere, the API's in API functions only, and
    # the service's own class, as loaded by the handler itself.
    expected = [PlatformSettings, *([ApiSettings] if kind == "api" else []), contract.service_settings(manifest)]
    assert sorted(c.__name__ for c in probe.classes) == sorted(c.__name__ for c in expected), handler
    assert probe.errors == {}, f"{name}: a settings class refuses the deployed environment at cold start"
    problems = contract.drift(environment, probe.classes, conditional_expected=variant == "aws")
    assert problems == [], f"{name} ({variant}):\n  " + "\n  ".join(problems)


def test_the_stacks_own_values_reach_its_functions(deployed):
    """The local variant: what a stack passes over local.tfvars is what its functions read."""
    env = {(s, k): e for (v, s, k), (_, e) in deployed.items() if v == "local"}
    for (service, kind), e in env.items():
        if service in ("fraud", "routing"):
            assert e[f"{service.upper()}_REDIS_URL"] == STACK_REDIS
        if kind == "api":
            assert (e["SMARTPAY_API_REDIS_URL"], e["SMARTPAY_API_RATE_LIMIT_PER_SECOND"]) == (STACK_REDIS, "0")
    for kind in ("worker", "api"):
        payment = env[("payment", kind)]
        assert {k: payment[k] for k in ("PAYMENT_STRIPE_API_BASE", "PAYMENT_AMAZON_PAY_ENDPOINT",
                                        "PAYMENT_SOLANA_RPC_URL")} == {
            "PAYMENT_STRIPE_API_BASE": STACK_URLS["stripe_api_base"],
            "PAYMENT_AMAZON_PAY_ENDPOINT": STACK_URLS["amazon_pay_endpoint"],
            "PAYMENT_SOLANA_RPC_URL": STACK_URLS["solana_rpc_url"]}
        assert payment["PAYMENT_FAULT_INJECTION"] == "true"
        assert env[("chat", kind)]["CHAT_INDEX_BACKEND"] == "embedded"
        assert env[("routing", kind)]["ROUTING_CATALOG_FILE"] == "catalog.local.yaml"


def test_on_aws_chat_searches_the_domain_and_everyone_uses_the_platform_redis(applied, deployed):
    """The AWS-like variant: the keys that only exist with the optional resources point at them."""
    redis = applied["aws"]["platform"]["redis_url"]
    assert redis == AWS_REDIS
    env = {(s, k): e for (v, s, k), (_, e) in deployed.items() if v == "aws"}
    for (service, kind), e in env.items():
        assert e["SMARTPAY_NAME_PREFIX"] == "awslike" and e["SMARTPAY_BUS_NAME"] == "awslike-bus"
        if service in ("fraud", "routing"):
            assert e[f"{service.upper()}_REDIS_URL"] == redis
        if kind == "api":
            assert (e["SMARTPAY_API_REDIS_URL"], e["SMARTPAY_API_RATE_LIMIT_PER_SECOND"],
                    e["SMARTPAY_API_RATE_LIMIT_BURST"]) == (redis, "50", "100")
    search = applied["aws"]["services"]["chat"]["search_endpoint"]
    for kind in ("worker", "api"):
        chat = env[("chat", kind)]
        assert (chat["CHAT_INDEX_BACKEND"], chat["CHAT_OPENSEARCH_ENDPOINT"], chat["CHAT_OPENSEARCH_AUTH"]) == (
            "opensearch", f"https://{search}", "sigv4")
        assert env[("routing", kind)]["ROUTING_ENDPOINT_NAME"] == "awslike-routing"
        assert env[("payment", kind)]["PAYMENT_FAULT_INJECTION"] == "false"
        assert env[("payment", kind)]["PAYMENT_STRIPE_SECRET_ID"] == "awslike/payment/stripe"


def test_the_environments_output_is_what_lambda_holds(applied, deployed):
    """Each root's `environments` output (what a stack may read instead of asking Lambda) is the real one."""
    for (variant, service, kind), (_, env) in deployed.items():
        assert applied[variant]["services"][service]["environments"][kind] == env


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_functions_environments_merge_without_conflict(variant, deployed):
    """One prefix per service: a key two functions share means the same thing and has the same value. So one
    process may take several functions' environments at once (the local stack's one environment for all its
    processes today, in-process handlers in tests) without one function's value replacing another's."""
    seen: dict[str, tuple[str, str]] = {}
    for (v, _, _), (name, env) in sorted(deployed.items()):
        if v != variant:
            continue
        for key, value in env.items():
            first = seen.setdefault(key, (name, value))
            assert first[1] == value, f"{key}: {first[0]} has {first[1]!r}, {name} has {value!r}"
