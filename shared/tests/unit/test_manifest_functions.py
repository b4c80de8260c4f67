"""The functions a manifest declares (worker, API, scheduled ones) and the local processes standing in for
them: what Terraform deploys per function (its role, its environment) and what the local stack runs as it."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from smartpay_shared.local.stack import loop_environment
from smartpay_shared.manifest import LocalProcess, Manifest, all_manifests, services_dir

BASE = {"service": "demo", "package": "demo_pkg", "description": "d",
        "queue_handler": "demo_pkg.entrypoints.queue_consumer:lambda_handler",
        "subscriptions": [], "emits": ["payment.requested", "payment.captured"]}


def test_every_background_loop_stands_in_for_a_deployed_function_of_its_service():
    for name, manifest in all_manifests().items():
        for proc in manifest.local_processes:
            if proc.ready_url is None:
                assert proc.function in manifest.function_kinds and proc.function != "api", (name, proc.name)


def test_the_payment_sweeper_is_a_scheduled_function_and_its_loop_runs_as_it():
    manifest = all_manifests()["payment"]
    assert manifest.function_kinds == ["worker", "api", "sweeper"]
    (sweeper,) = manifest.scheduled
    assert (sweeper.handler, sweeper.schedule) == ("smartpay_payment.entrypoints.sweeper:lambda_handler",
                                                   "rate(1 minute)")
    # The sweeper republishes any outbox event of a payment, as the API may (a stale outbox it reads).
    assert set(sweeper.emits) == set(manifest.emits) == set(manifest.api_emits)
    loop = next(p for p in manifest.local_processes if p.name == "sweeper")
    assert loop.function == "sweeper" and loop.ready_url is None


def test_a_loop_gets_the_environment_of_the_function_it_stands_in_for():
    functions = {"worker": {"PAYMENT_X": "worker", "ONLY_WORKER": "1"}, "sweeper": {"PAYMENT_X": "sweeper"}}
    loop = LocalProcess(name="sweeper", argv=["smartpay", "payment", "sweep"], function="sweeper",
                        env={"OWN": "1"})
    env = loop_environment({"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "PAYMENT_X": "stack"}, functions, loop)
    assert env == {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "PAYMENT_X": "sweeper", "OWN": "1"}
    default = LocalProcess(name="loop", argv=["smartpay", "x"])
    assert loop_environment({}, functions, default) == functions["worker"]


@pytest.mark.parametrize("change, message", [
    ({"api_emits": ["payment.refunded"]}, "not in the service's emits"),
    ({"scheduled": [{"name": "sweeper", "handler": "demo_pkg.s:h", "schedule": "rate(1 minute)",
                     "emits": ["fraud.assessed"]}]}, "not in the service's emits"),
    ({"scheduled": [{"name": "worker", "handler": "demo_pkg.s:h", "schedule": "rate(1 minute)"}]}, "kind"),
    ({"scheduled": [{"name": "sweeper", "handler": "demo_pkg.s:h", "schedule": "every minute"}]}, "pattern"),
    ({"local_processes": [{"name": "loop", "argv": ["x"], "function": "sweeper"}]}, "no deployed function"),
])
def test_inconsistent_function_declarations_are_refused(change, message):
    with pytest.raises(ValidationError, match=message):
        Manifest.model_validate({**BASE, **change})


def test_the_manifest_files_parse_with_their_functions():
    for path in sorted(services_dir().glob("*/manifest.json")):
        raw = json.loads(path.read_text())
        assert Manifest.model_validate(raw).function_kinds[0] == "worker"
