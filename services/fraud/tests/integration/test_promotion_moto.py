"""`smartpay fraud models / promote / rollback` against the registry on a real moto S3, and the service
loading the promoted version (or the pinned one: config wins)."""

import json
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from smartpay_fraud import bootstrap
from smartpay_fraud.adapters.registry import PointerConflict
from smartpay_fraud.config import FraudSettings
from smartpay_fraud.domain.promotion import Pointer
from smartpay_fraud.entrypoints.cli import app

pytestmark = pytest.mark.integration
BUCKET = "smartpay-fraud-models"
runner = CliRunner()


def variant(bundle, suffix, **changes):
    meta = json.loads(json.dumps(bundle.metadata))
    meta["version"] = f"{bundle.version}-{suffix}"
    meta.update(changes)
    return replace(bundle, metadata=meta)


@pytest.fixture
def registry_env(aws, trained, tmp_path, monkeypatch, redis_store):
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    monkeypatch.setenv("FRAUD_CACHE_DIR", str(tmp_path / "operator-cache"))
    monkeypatch.setenv("SMARTPAY_OPERATOR", "ops@test")
    settings = FraudSettings(cache_dir=tmp_path / "publisher")
    reg = bootstrap.registry(settings, s3)
    good = trained.bundle
    weak = variant(good, "weak", metrics={**good.metadata["metrics"], "pr_auc": 0.05})
    reg.publish(good)
    reg.publish(weak)  # `latest` now points at the weak one
    return s3, good, weak


def invoke(*args):
    out = runner.invoke(app, list(args))
    out.text = " ".join(out.output.split())  # rich wraps long error lines
    return out


def pointer(s3):
    return json.loads(s3.get_object(Bucket=BUCKET, Key="models/current.json")["Body"].read())


def served(s3, tmp_path, redis_store, **env):
    settings = FraudSettings(cache_dir=tmp_path / "server", redis_prefix=redis_store._prefix, **env)
    return bootstrap.build_scoring_service(settings, s3=s3, store=redis_store).model.version


def test_promote_guard_force_rollback_and_what_the_service_loads(registry_env, tmp_path, redis_store):
    s3, good, weak = registry_env
    assert served(s3, tmp_path, redis_store) == weak.version  # nothing promoted yet: `current` falls back to latest

    out = invoke("models")
    assert out.exit_code == 0, out.output
    assert good.version in out.stdout and weak.version in out.stdout and "0.0500" in out.stdout

    out = invoke("promote", good.version, "--reason", "first release")
    assert out.exit_code == 0, out.output
    assert out.stdout.strip().splitlines()[-1] == good.version
    p = pointer(s3)
    assert p["version"] == good.version and p["stack"] == [good.version]
    assert p["history"][-1] | {"at": None} == {"action": "promote", "version": good.version, "previous": None,
                                               "by": "ops@test", "forced": False, "reason": "first release",
                                               "at": None}
    assert served(s3, tmp_path, redis_store) == good.version  # the promoted one, though latest is the weak one
    assert served(s3, tmp_path, redis_store, model_version=weak.version) == weak.version  # pinned in config wins
    assert served(s3, tmp_path, redis_store, model_version="latest") == weak.version

    out = invoke("promote", weak.version)
    assert out.exit_code == 2 and "pr_auc 0.0500 < guard 0.3000" in out.text and "--force" in out.text
    assert pointer(s3)["version"] == good.version  # refused: nothing moved
    out = invoke("promote", weak.version, "--min-pr-auc", "0.01", "--max-pr-auc-drop", "1")
    assert out.exit_code == 0, out.output  # the guard is configurable
    out = invoke("rollback")
    assert out.exit_code == 0 and pointer(s3)["version"] == good.version

    out = invoke("promote", weak.version, "--force")
    assert out.exit_code == 0, out.output
    p = pointer(s3)
    assert p["version"] == weak.version and p["history"][-1]["forced"] is True
    assert "pr_auc 0.0500" in p["history"][-1]["reason"]
    out = invoke("models")
    assert "current" in out.stdout

    out = invoke("rollback", "--reason", "weak model")
    assert out.exit_code == 0, out.output
    p = pointer(s3)
    assert p["version"] == good.version and p["history"][-1]["action"] == "rollback"
    assert [h["action"] for h in p["history"]] == ["promote", "promote", "rollback", "promote", "rollback"]
    assert served(s3, tmp_path, redis_store) == good.version
    out = invoke("rollback")
    assert out.exit_code == 2 and "nothing to roll back to" in out.text


def test_unservable_missing_or_broken_versions_are_never_promoted(registry_env, tmp_path):
    s3, good, _ = registry_env
    reg = bootstrap.registry(FraudSettings(cache_dir=tmp_path / "publisher"), s3)
    old = variant(good, "sliding")
    del old.metadata["feature_scheme"]
    reg.publish(old)
    out = invoke("promote", old.version, "--force")
    assert out.exit_code == 2 and "feature scheme" in out.text
    bare = variant(good, "nometrics", metrics={})
    reg.publish(bare)
    out = invoke("promote", bare.version)
    assert out.exit_code == 2 and "metrics missing" in out.text
    s3.put_object(Bucket=BUCKET, Key=f"models/{good.version}/model.ubj", Body=b"bitrot")
    out = invoke("promote", good.version)
    assert out.exit_code == 2 and "corrupt" in out.text
    out = invoke("promote", "20990101-000000-deadbeef")
    assert out.exit_code == 2 and "not found" in out.text
    with pytest.raises(Exception):
        pointer(s3)  # nothing was ever written


def test_a_concurrent_pointer_change_is_a_conflict(registry_env, tmp_path):
    s3, good, weak = registry_env
    reg = bootstrap.registry(FraudSettings(cache_dir=tmp_path / "publisher"), s3)
    reg.write_pointer(Pointer().promote(good.version, "t1", "a", False), None)
    first, etag = reg.pointer()
    reg.write_pointer(first.promote(weak.version, "t2", "b", True), etag)  # another operator
    with pytest.raises(PointerConflict):
        reg.write_pointer(first.promote(good.version, "t3", "c", False), etag)  # stale read
    with pytest.raises(PointerConflict):
        reg.write_pointer(Pointer().promote(good.version, "t4", "d", False), None)  # "no pointer yet": stale too
    assert reg.pointer()[0].version == weak.version
