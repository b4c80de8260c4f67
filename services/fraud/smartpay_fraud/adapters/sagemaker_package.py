"""Lay a registry version out as a SageMaker model (model.tar.gz, extracted to /opt/ml/model):

    model.ubj, metadata.json[, graph.json]   the registry artifacts, unchanged (checksums still hold)
    code/inference.py                        entry point: re-exports model_fn/input_fn/predict_fn/output_fn
    code/requirements.txt                    what the container installs: numpy, xgboost-cpu, botocore (pinned)
    code/smartpay_fraud/                     this package, vendored (serving imports no pandas/torch)

model_fn receives the extracted directory (model_dir) and loads the artifacts at its root."""

from __future__ import annotations

import importlib.metadata
import shutil
import tarfile
from pathlib import Path

import smartpay_fraud
from smartpay_fraud.adapters.model_bundle import ModelBundle

ENTRY_POINT = '''"""SageMaker entry point (SAGEMAKER_PROGRAM=inference.py): the fraud service's inference handlers."""
from smartpay_fraud.entrypoints.sagemaker_inference import input_fn, model_fn, output_fn, predict_fn  # noqa: F401
'''
SERVING_REQUIREMENTS = ("numpy", "xgboost-cpu", "botocore")  # botocore: the error types the module imports


def requirements() -> str:
    return "".join(f"{name}=={importlib.metadata.version(name)}\n" for name in SERVING_REQUIREMENTS)


def build_model_dir(version_dir: Path, out_dir: Path) -> Path:
    """Copy a verified registry version into the SageMaker layout at `out_dir`."""
    ModelBundle.load(version_dir)  # checksums verified: never package a corrupt artifact
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in Path(version_dir).iterdir():
        if path.is_file():
            shutil.copy2(path, out_dir / path.name)
    code = out_dir / "code"
    code.mkdir(exist_ok=True)
    (code / "inference.py").write_text(ENTRY_POINT)
    (code / "requirements.txt").write_text(requirements())
    shutil.copytree(Path(smartpay_fraud.__file__).parent, code / "smartpay_fraud", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return out_dir


def build_tarball(version_dir: Path, out: Path, work_dir: Path) -> Path:
    """model.tar.gz with the layout above at its root (what SageMaker's ModelDataUrl points at)."""
    staged = build_model_dir(version_dir, Path(work_dir) / "model")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        for path in sorted(staged.iterdir()):
            tar.add(path, arcname=path.name)
    return out
