"""Training on a small set: time-based split, ablation with the four metrics, graph signals without
label leakage, thresholds, a bundle that round-trips through its files."""

import numpy as np
import pytest

from smartpay_fraud.adapters import graph_sage
from smartpay_fraud.adapters.model_bundle import ModelBundle
from smartpay_fraud.domain.graph import build_snapshot
from smartpay_fraud.service_layer.training import TrainingConfig, train

METRICS = {"roc_auc", "pr_auc", "recall_at_1pct_fpr", "precision_top100_per_day"}


def test_ablation_measures_every_variant_on_the_same_holdout(trained):
    ablation = trained.ablation
    assert {"xgboost", "xgboost+graph"} <= set(ablation)
    holdout_rows = {v["holdout"]["rows"] for v in ablation.values()}
    assert len(holdout_rows) == 1
    for variant in ablation.values():
        assert METRICS <= set(variant["holdout"]) and METRICS <= set(variant["validation"])
        assert 0.5 < variant["holdout"]["roc_auc"] <= 1.0  # it learned something
    y, scores = trained.holdout["xgboost"]
    assert len(y) == holdout_rows.pop() and len(np.unique(scores)) > 10


def test_metadata_carries_what_the_registry_promises(trained, small_dataset):
    meta = trained.bundle.metadata
    for key in ("version", "features", "thresholds", "metrics", "training_data", "libraries", "ablation", "variant"):
        assert key in meta
    assert meta["training_data"]["sha256"] == small_dataset.sha256()
    assert meta["libraries"]["xgboost-cpu"] and meta["libraries"]["numpy"]
    t = meta["thresholds"]
    assert 0 < t["review"] <= t["decline"] < 1 and t["version"].startswith("thr-")
    split = meta["split_ms"]
    assert split["graph_past_end"] < split["fit_end"] < split["holdout_start"]


def test_graph_signals_use_only_labels_before_the_rows_they_describe(small_dataset, trained):
    # The shipped snapshot stops at the holdout start: a fraud in the holdout cannot light up its own device.
    meta = trained.bundle.metadata
    df = small_dataset.frame
    start = meta["split_ms"]["holdout_start"]
    ts = df["timestamp"].astype("int64").to_numpy()
    later_fraud = df[(ts >= start) & (df.is_fraud == 1)]
    snap = build_snapshot(df[ts < start], start)
    fresh_devices = set(later_fraud.device_id) - set(df[ts < start].device_id)
    assert fresh_devices, "the holdout should hold frauds from devices never seen before"
    for row in later_fraud[later_fraud.device_id.isin(fresh_devices)].itertuples():
        assert np.isnan(snap.lookup(row.merchant_id, None, row.device_id, None)["graph_device_fraud_rate"])
    seen = df[ts < start].iloc[-1]  # ...while a payment of the past finds its own merchant's three nodes
    assert snap.lookup(seen.merchant_id, seen.card_id, seen.device_id, seen.ip_address)["graph_known_nodes"] == 3
    if meta["variant"] != "xgboost":
        assert trained.bundle.graph.cutoff_ms == start


def test_bundle_round_trips_through_its_files(trained, model_dir):
    loaded = ModelBundle.load(model_dir)
    x = np.random.default_rng(0).random((20, len(loaded.feature_names)), dtype=np.float32) * 5
    assert np.allclose(loaded.scores(x), trained.bundle.scores(x))
    assert loaded.thresholds == trained.bundle.thresholds


def test_corrupt_artifact_is_refused(trained, tmp_path):
    directory = trained.bundle.save(tmp_path / "m")
    (directory / "model.ubj").write_bytes(b"garbage")
    with pytest.raises(Exception, match="missing or corrupt"):
        ModelBundle.load(directory)


@pytest.mark.skipif(not graph_sage.available(), reason="graph extra (torch, torch-geometric) not installed")
def test_graphsage_variant_is_trained_and_measured_when_torch_is_there(small_dataset):
    result = train(small_dataset, TrainingConfig(rounds=40, sage=True, sage_epochs=15, seed=5))
    assert "xgboost+graph+sage" in result.ablation
    sage_features = [f for f in result.ablation["xgboost+graph+sage"]["features"] if f.startswith("sage_")]
    assert sage_features and METRICS <= set(result.ablation["xgboost+graph+sage"]["holdout"])


def test_training_is_reproducible_from_the_seed(small_dataset):
    a = train(small_dataset, TrainingConfig(rounds=25, sage=False, seed=3))
    b = train(small_dataset, TrainingConfig(rounds=25, sage=False, seed=3))
    assert a.ablation == b.ablation
    assert a.bundle.metadata["thresholds"] == b.bundle.metadata["thresholds"]
