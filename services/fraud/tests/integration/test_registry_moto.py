"""Registry round trip on a real moto S3: publish, load into a cold cache, verify, fail loudly."""

import json

import numpy as np
import pytest

from smartpay_fraud import bootstrap
from smartpay_fraud.adapters.registry import ModelRegistry
from smartpay_fraud.domain.errors import ModelNotAvailable

pytestmark = pytest.mark.integration
BUCKET = "smartpay-fraud-models"


def test_publish_then_load_from_a_cold_cache(aws, trained, tmp_path):
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    uri = ModelRegistry(s3, BUCKET, tmp_path / "trainer").publish(trained.bundle)
    assert uri == f"s3://{BUCKET}/models/{trained.bundle.version}/"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert f"models/{trained.bundle.version}/model.ubj" in keys and "models/latest.json" in keys

    server = ModelRegistry(s3, BUCKET, tmp_path / "server-cache")
    assert server.resolve("latest") == trained.bundle.version
    assert server.versions() == [trained.bundle.version]
    loaded = server.load("latest")
    meta = json.loads((tmp_path / "server-cache" / trained.bundle.version / "metadata.json").read_text())
    assert meta["training_data"]["sha256"] == trained.bundle.metadata["training_data"]["sha256"]
    assert set(meta["artifacts"]) >= {"model.ubj"}
    x = np.random.default_rng(1).random((10, len(loaded.feature_names)), dtype=np.float32)
    assert np.allclose(loaded.scores(x), trained.bundle.scores(x))

    # A corrupted cache copy is detected and fetched again.
    (tmp_path / "server-cache" / trained.bundle.version / "model.ubj").write_bytes(b"bitrot")
    assert np.allclose(server.load(trained.bundle.version).scores(x), trained.bundle.scores(x))


def test_no_model_fails_loudly_with_the_fix(aws, tmp_path, settings):
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    with pytest.raises(ModelNotAvailable, match="smartpay fraud train --quick --publish"):
        bootstrap.build_scoring_service(settings, s3=s3)
    with pytest.raises(ModelNotAvailable, match="not found"):
        ModelRegistry(s3, BUCKET, tmp_path).load("20990101-000000-deadbeef")


def test_local_only_registry_without_a_bucket(trained, tmp_path):
    local = ModelRegistry(None, "", tmp_path)
    local.save_local(trained.bundle)
    assert local.resolve("latest") == trained.bundle.version
    assert local.load("latest").version == trained.bundle.version
    with pytest.raises(ModelNotAvailable, match="cannot publish"):
        local.publish(trained.bundle)


def test_local_only_registry_promotes_too(trained, tmp_path):
    from smartpay_fraud.domain.promotion import PromotionGuard
    from smartpay_fraud.service_layer import promotion

    local = ModelRegistry(None, "", tmp_path)
    local.save_local(trained.bundle)
    assert local.resolve("current") == trained.bundle.version  # nothing promoted: falls back to latest
    entry = promotion.promote(local, trained.bundle.version, PromotionGuard())
    assert entry["action"] == "promote" and local.pointer()[0].version == trained.bundle.version
    assert local.resolve("current") == trained.bundle.version
    assert [r.current for r in promotion.models(local)] == [True]
