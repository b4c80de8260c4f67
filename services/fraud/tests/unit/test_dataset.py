"""A user's own labelled file with only the minimal columns: read, normalised, features left out and
listed; training on it works; a missing required column is named."""

import pandas as pd
import pytest

from smartpay_fraud.adapters.dataset_files import read_table
from smartpay_fraud.domain.dataset import normalise
from smartpay_fraud.domain.errors import DatasetError
from smartpay_fraud.service_layer.training import TrainingConfig, train


def minimal(frame: pd.DataFrame) -> pd.DataFrame:
    """What a merchant might export: id, time, customer, terminal, amount in major units, label."""
    return pd.DataFrame({"txn_id": frame["transaction_id"], "time": frame["timestamp"].astype(str),
                         "customer_id": frame["customer_id"], "terminal_id": frame["merchant_id"],
                         "amount": frame["amount"] / 100, "label": frame["is_fraud"]})


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_minimal_file_trains_and_reports_left_out_features(small_frame, tmp_path, suffix):
    path = tmp_path / f"mine{suffix}"
    data = minimal(small_frame)
    data.to_csv(path, index=False) if suffix == ".csv" else data.to_parquet(path, index=False)
    ds = normalise(read_table(path))
    assert {"transaction_id", "timestamp", "card_id", "merchant_id", "amount", "is_fraud"} <= ds.columns
    assert "device_id" not in ds.columns
    assert any("customer_id" in n for n in ds.notes) and any("major units" in n for n in ds.notes)
    assert ds.frame["amount"].tolist()[:50] == small_frame["amount"].tolist()[:50]
    result = train(ds, TrainingConfig(rounds=30, sage=False))
    meta = result.bundle.metadata
    left_out = meta["left_out_features"]
    assert left_out["device_distinct_cards_7d"] == "needs device_id"
    assert "ip_count_1h" in left_out and "card_country_is_new" in left_out
    assert not any(f.startswith(("device_", "ip_")) for f in meta["features"])
    assert "card_count_1h" in meta["features"]


def test_missing_required_column_is_named(small_frame):
    data = minimal(small_frame).drop(columns="label")
    with pytest.raises(DatasetError, match="missing required column.*is_fraud"):
        normalise(data)


def test_bad_values_are_refused(small_frame):
    data = minimal(small_frame)
    data.loc[3, "amount"] = -5
    with pytest.raises(DatasetError, match="positive"):
        normalise(data)
    data = minimal(small_frame)
    data.loc[3, "label"] = 2
    with pytest.raises(DatasetError, match="0/1"):
        normalise(data)
