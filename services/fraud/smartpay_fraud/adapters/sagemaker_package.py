"""Lay a registry version out as a SageMaker model (model.tar.gz, extracted to /opt/ml/model):

    model.ubj, metadata.json[, graph.json]   the registry artifacts, unchanged (checksums still hold)
    code/inference.py                        entry point: re-exports model_fn/input_fn/predict_fn/output_fn
    code/requirements.txt                    what the container installs: numpy, xgboost-cpu, botocore (pinned)
    code/smartpay_fraud/                     this package, vendored (serving imports no pandas/torch)

model_fn receives the extracted directory (model_dir) and loads the artifacts at its root."""

from __future__ import annotations

import shutil
from pathlib import Path

from smartpay_shared.sagemaker_artifact import add_code, write_tarball

import smartpay_fraud
from smartpay_fraud.adapters.model_bundle import ModelBundle

ENTRY_POINT = '''"""SageMaker entry point (SAGEMAKER_PROGRAM=inference.py): the fraud service's inference handlers."""
from smartpay_fraud.entrypoints.sagemaker_inference import input_fn, model_fn, output_fn, predict_fn  # noqa: F401
'''
SERVING_REQUIREMENTS = ("numpy", "xgboost-cpu", "botocore")  # botocore: the error types the module imports


def build_model_dir(version_dir: Path, out_dir: Path) -> Path:
    """Copy a verified registry version into the SageMaker layout at `out_dir`."""
    ModelBundle.load(version_dir)  # checksums verified: never package a corrupt artifact
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in Path(version_dir).iterdir():
        if path.is_file():
            shutil.copy2(path, out_dir / path.name)
    add_code(out_dir, Path(smartpay_fraud.__file__).parent, ENTRY_POINT, SERVING_REQUIREMENTS)
    return out_dir


def build_tarball(version_dir: Path, out: Path, work_dir: Path) -> Path:
    """model.tar.gz with the layout above at its root (what SageMaker's ModelDataUrl points at)."""
    return write_tarball(build_model_dir(version_dir, Path(work_dir) / "model"), out)
