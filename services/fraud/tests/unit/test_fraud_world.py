"""The third generator (evaldata/fraud_world.py, written blind to our fraud code): its export is read through the
same path as a user's CSV (`smartpay fraud train --data` / `protocol --data`: read_table + normalise with the
schema checks), and the protocol runs on a small instance of it with all three learners, also against its truth."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from smartpay_fraud.adapters.dataset_files import read_table, write_table
from smartpay_fraud.domain.dataset import normalise
from smartpay_fraud.entrypoints.cli import _as_users_csv, app
from smartpay_fraud.evaldata.fraud_world import generate_with_truth
from smartpay_fraud.service_layer import protocol

SMALL = {"seed": 3, "n_customers": 300, "days": 35}


@pytest.fixture(scope="module")
def world():
    return generate_with_truth(**SMALL)


@pytest.fixture(scope="module")
def csv_path(world, tmp_path_factory):
    return write_table(world[0], tmp_path_factory.mktemp("fraud_world") / "fraud_world.csv")


def test_its_csv_passes_the_users_schema_checks_and_reads_as_the_generator_path(world, csv_path):
    raw, truth = world
    from_file = normalise(read_table(csv_path), "minor")
    generator_path = _as_users_csv(raw, "minor")  # what `smartpay fraud protocol --generator fraud-world` reads
    assert from_file.sha256() == generator_path.sha256()
    frame = from_file.frame
    assert {"card_id", "merchant_id", "terminal_id", "device_id", "ip_address", "country", "merchant_category",
            "currency", "label_known_at"} <= set(frame.columns)
    assert len(frame) == len(raw) == len(truth) and frame["labelled"].all()
    assert frame["is_fraud"].sum() == raw["is_fraud"].sum() > 0
    assert frame["label_known_at"].notna().sum() == frame["is_fraud"].sum()
    # the truth differs from the label both ways (unreported fraud, friendly fraud), as its docstring says
    merged = truth.merge(raw[["transaction_id", "is_fraud"]], on="transaction_id")
    assert ((merged.true_fraud == 1) & (merged.is_fraud == 0)).any()
    assert ((merged.true_fraud == 0) & (merged.is_fraud == 1)).any()


def test_the_cli_protocol_reads_it_as_a_users_file_and_measures_all_three_learners(csv_path, tmp_path):
    runner = CliRunner()
    out = runner.invoke(app, ["protocol", "--data", str(csv_path)])
    assert out.exit_code == 2 and "declare the amounts' units" in out.output  # never guessed
    result_path = tmp_path / "r.json"
    out = runner.invoke(app, ["protocol", "--data", str(csv_path), "--amount-units", "minor", "--train-days", "10",
                              "--gap-days", "7", "--test-days", "7", "--out", str(result_path)])
    assert out.exit_code == 0, out.output
    result = json.loads(result_path.read_text())
    assert list(result["models"]) == list(protocol.MODELS)
    for m in result["models"].values():
        assert set(m) == {"roc_auc", "average_precision", "card_precision_at_100_per_day"}
        assert 0.5 < m["roc_auc"] <= 1 and 0 < m["average_precision"] <= 1
        assert 0 < m["card_precision_at_100_per_day"] <= 1
    rows = result["rows"]
    assert 0 < rows["test_after_known_cards_removed"] <= rows["test"] and rows["test_frauds"] > 0


def test_protocol_measures_against_the_true_fraud_flag_on_the_same_rows(world, csv_path):
    raw, truth = world
    result = protocol.run(normalise(read_table(csv_path), "minor"), protocol.Protocol(train_days=10, gap_days=7, test_days=7),
                          truth=truth)
    against = result["against_true_fraud"]
    assert set(against["models"]) == set(result["models"]) == set(protocol.MODELS)
    counts = against["rows"]
    assert counts["observed_frauds"] == result["rows"]["test_frauds"]
    assert counts["true_frauds"] == (counts["observed_frauds"] - counts["labelled_but_legit"]
                                     + counts["true_frauds_unlabelled"])
    assert sum(counts["per_mechanism"].values()) == counts["true_frauds"] > 0
    assert counts["true_frauds_unlabelled"] + counts["labelled_but_legit"] > 0
    assert "friendly_fraud" not in counts["per_mechanism"]  # a genuine payment disputed: legitimate in truth
    for name, m in against["models"].items():
        assert 0 < m["roc_auc"] <= 1 and 0 < m["average_precision"] <= 1
        assert set(m["roc_auc_per_mechanism_vs_legit"]) == set(counts["per_mechanism"])
        observed = result["models"][name]
        assert {key: m[key] for key in observed} != observed  # another label (the rows differ), another figure
    assert np.isfinite([m["roc_auc"] for m in against["models"].values()]).all()
