"""`smartpay fraud train --quick --publish` (the command `make up` runs) against a real moto S3: the model
lands in the registry bucket with its `latest` pointer, and the service then starts from it."""

import pytest
from typer.testing import CliRunner

from smartpay_fraud import bootstrap
from smartpay_fraud.config import FraudSettings
from smartpay_fraud.domain.transactions import Transaction
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

    # What the demo and the e2e burst rely on: with merchant-scoped features, the quick model still approves a
    # merchant's ordinary payments and declines a card-testing burst (one new card, a burner device and IP abroad,
    # tiny amounts seconds apart at the same merchant) - at any hour of the day: a model that split on the UTC hour
    # approved this burst before 13:00 UTC, and the e2e burst runs at whatever time CI does.
    for hour in range(0, 24, 3):
        t0 = 1_767_225_600_000 + (24 + hour) * 3_600_000 + 17 * 60_000  # 2026-01-02 hh:17 UTC
        run = f"h{hour}"  # each hour its own merchant: no velocity carried from the previous hour's burst
        normal = [service.score(Transaction(f"m_{run}:pay_n{i}", t0 + i * 1_000, 1_500 + 1_000 * i, "USD",
                                            f"m_{run}", f"pmv_{i:032x}", f"cus_{i}", f"dev_cus_{i}", "203.0.113.10",
                                            "US"))
                  for i in range(8)]
        burst = [service.score(Transaction(f"m_{run}:pay_b{i}", t0 + 20_000 + i * 2_000, 100 + 17 * i, "USD",
                                           f"m_{run}", "pmv_" + "f" * 32, "cus_fraudster", "dev_burner",
                                           "198.51.100.77", "BR"))
                 for i in range(10)]
        assert all(a.decision != "decline" for a in normal), (hour, [(a.score, a.decision) for a in normal])
        declined = sum(a.decision == "decline" for a in burst)
        assert declined >= 5, (hour, [(a.score, a.decision) for a in burst])
