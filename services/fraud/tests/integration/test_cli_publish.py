"""`smartpay fraud train --quick --publish` (the command `make up` runs) against a real moto S3: the model
lands in the registry bucket with its `latest` pointer, and the service then starts from it."""

import pytest
from typer.testing import CliRunner

from smartpay_fraud import bootstrap
from smartpay_fraud.config import FraudSettings
from smartpay_fraud.entrypoints.cli import app

pytestmark = pytest.mark.integration


def test_quick_publish_registers_a_servable_model(aws, tmp_path, monkeypatch, redis_store):
    s3 = aws("s3")
    s3.create_bucket(Bucket="smartpay-fraud-models")
    monkeypatch.setenv("FRAUD_CACHE_DIR", str(tmp_path / "trainer-cache"))
    out = CliRunner().invoke(app, ["train", "--quick", "--publish"])
    assert out.exit_code == 0, out.output
    version = out.stdout.strip().splitlines()[-1]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="smartpay-fraud-models")["Contents"]}
    assert {f"models/{version}/metadata.json", f"models/{version}/model.ubj", "models/latest.json"} <= keys

    settings = FraudSettings(cache_dir=tmp_path / "server-cache", redis_prefix=redis_store._prefix)
    service = bootstrap.build_scoring_service(settings, s3=s3, store=redis_store)
    assert service.model.version == version
