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
    ds = normalise(read_table(path), "major")
    assert {"transaction_id", "timestamp", "card_id", "merchant_id", "terminal_id", "amount", "is_fraud"} <= ds.columns
    assert "device_id" not in ds.columns
    assert any("customer_id" in n for n in ds.notes) and any("major units" in n for n in ds.notes)
    assert set(ds.frame["merchant_id"]) == {"merchant"}  # no merchant column: one tenant, terminals kept
    assert ds.frame["amount"].tolist()[:50] == small_frame["amount"].tolist()[:50]
    result = train(ds, TrainingConfig(rounds=30, sage=False))
    meta = result.bundle.metadata
    left_out = meta["left_out_features"]
    assert left_out["device_distinct_cards_7d"] == "needs device_id"
    assert "ip_count_1h" in left_out and "card_country_is_new" in left_out
    assert not any(f.startswith(("device_", "ip_")) for f in meta["features"])
    assert "card_count_1h" in meta["features"] and "terminal_fraud_share_7d_lag7d" in meta["features"]


def test_missing_required_column_is_named(small_frame):
    data = minimal(small_frame).drop(columns="label")
    with pytest.raises(DatasetError, match="missing required column.*is_fraud"):
        normalise(data, "major")


def test_bad_values_are_refused_naming_the_row(small_frame):
    data = minimal(small_frame)
    data.loc[3, "amount"] = -5
    with pytest.raises(DatasetError, match=r"row 4 \(transaction txn_00000003\): amount -5.0 is negative"):
        normalise(data, "major")
    data = minimal(small_frame)
    data.loc[3, "label"] = 2
    with pytest.raises(DatasetError, match="row 4 .*label '2' must be 0, 1 or empty"):
        normalise(data, "major")
    data = minimal(small_frame)
    data["time"] = data["time"].astype(object)
    data.loc[5, "time"] = "yesterday-ish"
    with pytest.raises(DatasetError, match="row 6 .*timestamp 'yesterday-ish' could not be parsed"):
        normalise(data, "major")
    with pytest.raises(DatasetError, match=r"row 1 .*has a fraction .*--amount-units major"):
        normalise(minimal(small_frame), "minor")


def test_amount_units_are_declared_never_guessed(small_frame):
    whole = minimal(small_frame).assign(amount=small_frame["amount"])  # integer cents, no fraction anywhere
    with pytest.raises(DatasetError, match="declare the amounts' units"):
        normalise(whole)
    assert normalise(whole, "minor").frame["amount"].tolist()[:20] == small_frame["amount"].tolist()[:20]
    assert normalise(whole, "major").frame["amount"].tolist()[:20] == (small_frame["amount"] * 100).tolist()[:20]


def test_zero_amounts_and_unlabelled_history_rows_are_accepted(small_frame):
    data = minimal(small_frame)
    data.loc[[2, 10], "amount"] = 0
    data["label"] = data["label"].astype(object)
    data.loc[: len(data) // 4, "label"] = ""  # the first quarter: history without labels
    ds = normalise(data, "major")
    assert (ds.frame["amount"] == 0).sum() == 2
    assert (~ds.labelled).sum() == len(data) // 4 + 1 and ds.frame.loc[~ds.labelled, "is_fraud"].eq(0).all()
    assert any("unlabelled" in n for n in ds.notes)
    result = train(ds, TrainingConfig(rounds=20, sage=False, graph=False))
    assert result.bundle.metadata["training_data"]["labelled_rows"] == int(ds.labelled.sum())
    first_trained = result.bundle.metadata["split_ms"]["graph_past_end"]
    assert first_trained > ds.frame["timestamp"][~ds.labelled].max().value // 1_000_000  # split over labelled rows


def test_label_times_are_read_and_checked(small_frame):
    data = minimal(small_frame)
    data["known_at"] = small_frame["label_known_at"].astype(str).replace("NaT", "")
    ds = normalise(data, "major")
    fraud = ds.frame["is_fraud"] == 1
    assert ds.frame.loc[fraud, "label_known_at"].notna().all() and ds.frame.loc[~fraud, "label_known_at"].isna().all()
    assert (ds.frame.loc[fraud, "label_known_at"] >= ds.frame.loc[fraud, "timestamp"]).all()
    bad = data.copy()
    i = int(small_frame.index[small_frame.is_fraud == 1][0])
    bad.loc[i, "known_at"] = "2020-01-01T00:00:00Z"
    with pytest.raises(DatasetError, match=f"row {i + 1} .*label_known_at is before the payment"):
        normalise(bad, "major")
    no_times = normalise(minimal(small_frame), "major", label_delay_days=5)
    f = no_times.frame[no_times.frame.is_fraud == 1]
    assert ((f["label_known_at"] - f["timestamp"]) == pd.Timedelta(days=5)).all()


def test_an_empty_string_label_time_means_not_known_like_an_empty_cell(small_frame):
    """A CSV read with keep_default_na=False (or a JSON export) gives "" where a spreadsheet leaves the cell empty:
    both mean "label time not known" (the label delay is assumed), never an unparsable time."""
    data = minimal(small_frame)
    known = small_frame["label_known_at"].astype(str).replace("NaT", "")
    data["known_at"] = known.astype(object)
    fraud_rows = small_frame.index[small_frame.is_fraud == 1]
    data.loc[fraud_rows[0], "known_at"] = ""
    data.loc[fraud_rows[1], "known_at"] = "   "
    data.loc[small_frame.index[small_frame.is_fraud == 0][0], "known_at"] = ""
    ds = normalise(data, "major", label_delay_days=5)
    cells = data.copy()
    cells["known_at"] = cells["known_at"].replace(r"^\s*$", None, regex=True)
    assert cells.loc[fraud_rows[0], "known_at"] is None
    ds_cells = normalise(cells, "major", label_delay_days=5)
    pd.testing.assert_series_equal(ds.frame["label_known_at"], ds_cells.frame["label_known_at"])
    f = ds.frame.set_index("transaction_id")
    for row in fraud_rows[:2]:
        tid = data.loc[row, "txn_id"]
        assert f.loc[tid, "label_known_at"] - f.loc[tid, "timestamp"] == pd.Timedelta(days=5)
    assert any("without label_known_at" in n for n in ds.notes)
