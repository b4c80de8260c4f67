"""Safe releases (issue #15 item 5) and the payments table's protection (item 4), on a moto server of our own
with the payment root applied as on AWS (deletion protection, point-in-time recovery, immutable releases), from
a private copy of the checkout whose VERSION and code the tests change:

- version A (0.1.0), then the same VERSION with other code: refused at plan, nothing changes;
- version B (0.2.0, other code): the plan replaces every alias and invoke permission create-before-destroy,
  and while it applies a watcher asks the emulator, again and again, whether the alias the API integration
  and the sweeper's schedule target exists and carries their invoke permissions: it always does;
- back to A (the rollback of docs/terraform.md): the alias v0_1_0 serves A's code again (the same sha256 as
  the first time: the zip is reproducible), B's alias is gone, and the watcher saw no gap either (without
  create_before_destroy the same watcher sees the old alias gone while both invokers still name it: 485 gaps in
  988 samples when this was checked);
- every release's zip is one object of the platform's artifact bucket, payment/<sha256 of the zip>.zip, whose
  bytes every function serves: B is another key (A's deleted), the rollback A's key again;
- `terraform destroy` of the payment root is refused while the payments table is protected.

Tests run in order (one stack). moto does not invoke anything: "invocable" means what the emulator can show,
the targeted alias and its resource policy."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from smartpay_shared.local import terraform

pytestmark = pytest.mark.integration

REGION = "us-east-1"
# The payment root as on AWS, on the emulator's runtime and timeouts (local.tfvars for the rest).
AWS_LIKE = {"payment": {"immutable_releases": True, "deletion_protection": True, "point_in_time_recovery": True},
            "platform": {"bucket_lifecycle": True}}
MARKER = "smartpay_payment/__init__.py"  # the file whose content stands for "other code"


@pytest.fixture(scope="module")
def aws(endpoint):
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    return lambda service: session.client(service, endpoint_url=endpoint)


class Release:
    """Puts a VERSION and a code variant into the private checkout and applies platform + payment."""

    def __init__(self, checkout: Path, endpoint: str, state_dir: Path, live):
        self.checkout, self.endpoint, self.state_dir, self.live = checkout, endpoint, state_dir, live
        self.service_dir = checkout / "services" / "payment"
        self.baseline = (self.service_dir / MARKER).read_text()
        self.seconds: dict[str, float] = {}

    def checkout_version(self, version: str, code: str = "") -> None:
        (self.service_dir / "VERSION").write_text(version + "\n")
        (self.service_dir / MARKER).write_text(self.baseline + (f"\n# release {code}\n" if code else ""))

    def apply(self, label: str) -> dict[str, Any]:
        with self.live():
            started = time.monotonic()
            out = terraform.apply_stack(self.endpoint, self.state_dir, services=["payment"],
                                        repo_root=self.checkout, variables=AWS_LIKE)
            self.seconds[label] = time.monotonic() - started
            print(f"=== apply {label}: {self.seconds[label]:.1f} s")
        return out

    def changes(self) -> list[dict[str, Any]]:
        with self.live():
            return terraform.plan_changes(self.endpoint, self.state_dir, services=["payment"],
                                          repo_root=self.checkout, variables=AWS_LIKE)["payment"]


@pytest.fixture(scope="module")
def release(checkout, endpoint, tmp_path_factory, request) -> Release:
    live = request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled
    return Release(checkout, endpoint, tmp_path_factory.mktemp("tf-state"), live)


class Watcher(threading.Thread):
    """Samples, as fast as the emulator answers, what invokes the payment functions: the API integration's
    alias and the sweeper schedule's target alias. A sample is a gap when that alias does not exist, or its
    resource policy lacks the invoke permission of a route (API Gateway) or of the schedule (EventBridge)."""

    INVOCATION = re.compile(r":function:([^:/]+):([^/:]+)(?:/invocations)?$")

    def __init__(self, aws, api_id: str, routes: int, rule: str):
        super().__init__(daemon=True)
        self.lam, self.api, self.events = aws("lambda"), aws("apigatewayv2"), aws("events")
        self.api_id, self.routes, self.rule = api_id, routes, rule
        self.samples: list[tuple[float, str, str, str]] = []  # (time, who, qualifier, problem or "")
        self.stopped = threading.Event()

    def _check(self, who: str, arn: str, principal: str, wanted: int) -> None:
        found = self.INVOCATION.search(arn)
        if not found:
            self.samples.append((time.monotonic(), who, "", f"not an alias: {arn}"))
            return
        name, qualifier = found.groups()
        problem = ""
        try:
            self.lam.get_alias(FunctionName=name, Name=qualifier)
            policy = json.loads(self.lam.get_policy(FunctionName=name, Qualifier=qualifier)["Policy"])
            granted = [s for s in policy["Statement"] if s.get("Principal", {}).get("Service") == principal]
            if len(granted) < wanted:
                problem = f"{len(granted)} of {wanted} {principal} permissions"
        except self.lam.exceptions.ResourceNotFoundException as e:
            problem = f"{name}:{qualifier}: {e.response['Error']['Message']}"
        self.samples.append((time.monotonic(), who, qualifier, problem))

    def run(self) -> None:
        while not self.stopped.is_set():
            for integration in self.api.get_integrations(ApiId=self.api_id)["Items"]:
                if ":function:smartpay-payment-api:" in integration["IntegrationUri"]:
                    self._check("api", integration["IntegrationUri"], "apigateway.amazonaws.com", self.routes)
            for target in self.events.list_targets_by_rule(Rule=self.rule)["Targets"]:
                self._check("schedule", target["Arn"], "events.amazonaws.com", 1)

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.join(timeout=30)

    def report(self) -> dict[str, Any]:
        times = [t for t, *_ in self.samples]
        return {"samples": len(self.samples), "gaps": [s for s in self.samples if s[3]],
                "qualifiers": {who: sorted({q for _, w, q, _ in self.samples if w == who}) for who in ("api", "schedule")},
                "longest_between_samples_s": max((b - a for a, b in zip(times, times[1:])), default=0.0)}


def _served(aws, fn: dict[str, Any], alias: str) -> str:
    return aws("lambda").get_function(FunctionName=fn["name"], Qualifier=alias)["Configuration"]["CodeSha256"]


def _current_keys(aws, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in aws("s3").list_objects_v2(Bucket=bucket).get("Contents", []))


def _artifact_serves(aws, out: dict[str, Any], code_sha256: str) -> str:
    """The payment artifact's key is payment/<sha256 hex of the zip>.zip, and its bytes are what every function
    serves (Lambda's CodeSha256 is the base64 of the same digest). Returns the key."""
    artifact = out["services"]["payment"]["artifact"]
    assert artifact["bucket"] == out["platform"]["artifact_bucket"]
    body = aws("s3").get_object(Bucket=artifact["bucket"], Key=artifact["key"])["Body"].read()
    digest = hashlib.sha256(body)
    assert artifact["key"] == f"payment/{digest.hexdigest()}.zip"
    assert base64.b64encode(digest.digest()).decode() == code_sha256
    return artifact["key"]


def _routes(checkout: Path) -> int:
    return len(json.loads((checkout / "services" / "payment" / "manifest.json").read_text())["routes"])


def test_version_a_is_released_with_its_code_on_a_protected_table(release, aws, checkout):
    release.checkout_version("0.1.0")
    out = release.apply("A (0.1.0)")
    payment = out["services"]["payment"]
    assert payment["alias_name"] == "v0_1_0"
    for fn in payment["functions"].values():
        alias = aws("lambda").get_alias(FunctionName=fn["name"], Name="v0_1_0")
        assert alias["Description"] == f"v0_1_0 code sha256 {fn['code_sha256']}" == \
            f"v0_1_0 code sha256 {_served(aws, fn, 'v0_1_0')}"
    release.a = payment["functions"]["api"]["code_sha256"]
    release.platform = out["platform"]
    release.a_key = _artifact_serves(aws, out, release.a)
    # As on AWS: the artifact bucket's lifecycle rules (aws_s3_bucket_lifecycle_configuration, off locally).
    rules = aws("s3").get_bucket_lifecycle_configuration(Bucket=out["platform"]["artifact_bucket"])["Rules"]
    assert [(r["ID"], r["Status"], r["NoncurrentVersionExpiration"]["NoncurrentDays"],
             r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]) for r in rules] == [
        ("expire-noncurrent-versions", "Enabled", 90, 7)]
    # As on AWS: point-in-time recovery on the payments table (the local target has it off).
    backups = aws("dynamodb").describe_continuous_backups(TableName=payment["tables"]["payments"])
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
        "PointInTimeRecoveryStatus"] == "ENABLED"


def test_the_same_version_with_other_code_is_refused_at_plan(release, aws, capsys):
    release.checkout_version("0.1.0", code="A-prime")
    with pytest.raises(terraform.TerraformError):
        terraform.apply_stack(release.endpoint, release.state_dir, services=["payment"],
                              repo_root=release.checkout, variables=AWS_LIKE)
    output = capsys.readouterr().out
    assert "One version is one artifact" in output and "alias v0_1_0 was released with code sha256" in output
    assert _current_keys(aws, release.platform["artifact_bucket"]) == [release.a_key]  # nothing uploaded either
    lam = aws("lambda")
    for kind in ("worker", "api", "sweeper"):  # nothing changed: not even $LATEST
        name = f"smartpay-payment-{kind}"
        assert lam.get_function_configuration(FunctionName=name)["CodeSha256"] == release.a
        assert _served(aws, {"name": name}, "v0_1_0") == release.a


def test_a_version_bump_moves_every_invoker_before_the_old_alias_goes(release, aws, checkout):
    release.checkout_version("0.2.0", code="B")
    changes = release.changes()
    replaced = {c["address"]: c["change"]["actions"] for c in changes if {"create", "delete"} <= set(c["change"]["actions"])}
    aliases = [a for a in replaced if a.endswith("aws_lambda_alias.this")]
    permissions = [a for a in replaced if "aws_lambda_permission" in a]
    assert len(aliases) == 3 and len(permissions) == _routes(checkout) + 1, sorted(replaced)
    assert {a: acts for a, acts in replaced.items() if acts != ["create", "delete"]} == {}, \
        "every replacement creates the new object before deleting the old"

    with Watcher(aws, release.platform["api_id"], _routes(checkout), "smartpay-payment-sweeper") as watcher:
        out = release.apply("B (0.2.0)")
        time.sleep(0.5)
    report = watcher.report()
    with release.live():
        print(f"=== watcher A->B: {report['samples']} samples, {len(report['gaps'])} gaps, longest between two "
              f"{report['longest_between_samples_s'] * 1000:.0f} ms, qualifiers {report['qualifiers']}")
    assert report["gaps"] == [], "an invoker pointed at an alias it could not invoke"
    assert report["qualifiers"] == {"api": ["v0_1_0", "v0_2_0"], "schedule": ["v0_1_0", "v0_2_0"]}, \
        "the watcher saw the switch"
    payment, lam = out["services"]["payment"], aws("lambda")
    assert payment["alias_name"] == "v0_2_0"
    for fn in payment["functions"].values():
        assert [a["Name"] for a in lam.list_aliases(FunctionName=fn["name"])["Aliases"]] == ["v0_2_0"]
        assert _served(aws, fn, "v0_2_0") == fn["code_sha256"] != release.a
    release.b = payment["functions"]["api"]["code_sha256"]
    b_key = _artifact_serves(aws, out, release.b)
    assert b_key != release.a_key
    # A's artifact went once B's was in place: the provider deletes a replaced object with all its versions, and
    # a rollback uploads A's bytes to A's key again (next test).
    assert _current_keys(aws, release.platform["artifact_bucket"]) == [b_key]
    versions = aws("s3").list_object_versions(Bucket=release.platform["artifact_bucket"], Prefix=release.a_key)
    assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []


def test_rolling_back_to_version_a_serves_as_code_again(release, aws):
    release.checkout_version("0.1.0")  # git checkout of the previous VERSION: the same sources
    with Watcher(aws, release.platform["api_id"], _routes(release.checkout), "smartpay-payment-sweeper") as watcher:
        out = release.apply("A again (rollback)")
        time.sleep(0.5)
    report = watcher.report()
    with release.live():
        print(f"=== watcher B->A: {report['samples']} samples, {len(report['gaps'])} gaps, longest between two "
              f"{report['longest_between_samples_s'] * 1000:.0f} ms")
    assert report["gaps"] == []
    assert report["qualifiers"] == {"api": ["v0_1_0", "v0_2_0"], "schedule": ["v0_1_0", "v0_2_0"]}
    payment, lam = out["services"]["payment"], aws("lambda")
    for fn in payment["functions"].values():
        assert [a["Name"] for a in lam.list_aliases(FunctionName=fn["name"])["Aliases"]] == ["v0_1_0"]
        assert fn["code_sha256"] == _served(aws, fn, "v0_1_0") == release.a  # A's very zip
        assert lam.get_alias(FunctionName=fn["name"], Name="v0_1_0")["Description"] == f"v0_1_0 code sha256 {release.a}"
    assert _artifact_serves(aws, out, release.a) == release.a_key  # the same bytes, the same key
    assert _current_keys(aws, release.platform["artifact_bucket"]) == [release.a_key]
    integration = [i for i in aws("apigatewayv2").get_integrations(ApiId=release.platform["api_id"])["Items"]
                   if ":function:smartpay-payment-api:" in i["IntegrationUri"]]
    assert len(integration) == 1 and ":smartpay-payment-api:v0_1_0/" in integration[0]["IntegrationUri"]
    with release.live():
        print(f"=== apply durations: {', '.join(f'{k} {v:.0f} s' for k, v in release.seconds.items())}")


def test_the_protected_payments_table_cannot_be_destroyed(release, aws, capsys):
    with pytest.raises(terraform.TerraformError):
        terraform.destroy_stack(release.endpoint, release.state_dir, services=["payment"], repo_root=release.checkout)
    assert "Instance cannot be destroyed" in capsys.readouterr().out
    # Terraform refused the whole plan: the table, its data and the functions are all still there.
    assert "smartpay-payments" in aws("dynamodb").list_tables()["TableNames"]
    assert aws("lambda").get_alias(FunctionName="smartpay-payment-api", Name="v0_1_0")
