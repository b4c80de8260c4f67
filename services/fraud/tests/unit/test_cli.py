"""`smartpay fraud generate / train / evaluate / versions` end to end on a local-only registry: the
re-scored holdout of a registered model reproduces the metrics measured at training time."""

import json

import pytest
from typer.testing import CliRunner

from smartpay_fraud.entrypoints.cli import app

runner = CliRunner()


@pytest.fixture
def local_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAUD_MODEL_BUCKET", "")
    monkeypatch.setenv("FRAUD_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_generate_train_evaluate_round_trip(tmp_path, local_registry):
    data = tmp_path / "tx.parquet"
    out = runner.invoke(app, ["generate", "--out", str(data), "--customers", "600", "--days", "20", "--seed", "5"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["train", "--data", str(data), "--no-sage"])
    assert out.exit_code == 2 and "declare the amounts' units" in out.output  # never guessed
    out = runner.invoke(app, ["train", "--data", str(data), "--no-sage", "--amount-units", "minor"])
    assert out.exit_code == 0, out.output
    version = out.stdout.strip().splitlines()[-1]
    meta = json.loads((local_registry / version / "metadata.json").read_text())
    assert meta["training_data"]["source"] == {"file": str(data), "amount_units": "minor"}
    assert meta["refit_rows"] > meta["ablation"][meta["variant"]]["validation"]["rows"]

    report_dir = tmp_path / "report"
    out = runner.invoke(app, ["evaluate", "--version", version, "--data", str(data), "--report-dir", str(report_dir)])
    assert out.exit_code == 0, out.output
    report = (report_dir / "report.md").read_text()
    assert "## Ablation (holdout)" in report and "Re-scored from the registry" in report
    assert (report_dir / "roc.png").stat().st_size > 1000 and (report_dir / "pr.png").stat().st_size > 1000
    for metric in ("roc_auc", "pr_auc", "recall_at_1pct_fpr", "precision_top100_per_day"):
        assert f"{metric} {meta['metrics'][metric]:.4f}" in report  # the re-measured value equals the stored one

    assert runner.invoke(app, ["versions"]).stdout.split() == [version]


def test_training_refuses_a_file_without_labels(tmp_path, local_registry, small_frame):
    path = tmp_path / "nolabel.csv"
    small_frame.drop(columns="is_fraud").to_csv(path, index=False)
    out = runner.invoke(app, ["train", "--data", str(path), "--amount-units", "minor"])
    assert out.exit_code == 2 and "missing required column" in out.output


def test_score_after_a_local_train_uses_the_local_registry_and_history(tmp_path, monkeypatch, small_frame):
    """The default settings name an S3 bucket; without AWS credentials `score` falls back to the model a local
    `train` just wrote, instead of failing with "Unable to locate credentials"."""
    monkeypatch.setenv("FRAUD_CACHE_DIR", str(tmp_path / "cache"))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    data = tmp_path / "tx.parquet"
    small_frame.to_parquet(data, index=False)
    out = runner.invoke(app, ["train", "--data", str(data), "--no-sage", "--no-graph", "--amount-units", "minor"])
    assert out.exit_code == 0, out.output
    cut = len(small_frame) * 3 // 4
    history, recent = tmp_path / "history.csv", tmp_path / "recent.csv"
    small_frame.iloc[:cut].to_csv(history, index=False)
    small_frame.iloc[cut:].drop(columns=["is_fraud", "label_known_at"]).to_csv(recent, index=False)
    scored = tmp_path / "scored.csv"
    out = runner.invoke(app, ["score", "--data", str(recent), "--out", str(scored), "--amount-units", "minor",
                              "--history", str(history)])
    assert out.exit_code == 0, out.output
    assert "using the local registry" in " ".join(out.output.split())
    import pandas as pd

    with_history = pd.read_csv(scored)
    assert len(with_history) == len(small_frame) - cut
    out = runner.invoke(app, ["score", "--data", str(recent), "--out", str(tmp_path / "alone.csv"),
                              "--amount-units", "minor"])
    alone = pd.read_csv(tmp_path / "alone.csv")
    assert out.exit_code == 0 and not (alone["score"].to_numpy() == with_history["score"].to_numpy()).all()
