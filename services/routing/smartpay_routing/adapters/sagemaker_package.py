"""Lay a policy checkpoint out as a SageMaker model (model.tar.gz, extracted to /opt/ml/model):

    model.vw, metadata.json        the checkpoint's bytes as the worker saved them; its id and update count
    code/inference.py              entry point: re-exports model_fn/input_fn/predict_fn/output_fn
    code/requirements.txt          what the container installs: vowpalwabbit and numpy, pinned as here
    code/smartpay_routing/         this package, vendored (serving imports VW and the domain only)

model_fn receives the extracted directory (model_dir) and loads the files at its root."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
import tarfile
from pathlib import Path

import smartpay_routing
from smartpay_routing.entrypoints.sagemaker_inference import METADATA_FILE, MODEL_FILE

ENTRY_POINT = '''"""SageMaker entry point (SAGEMAKER_PROGRAM=inference.py): the routing bandit's inference handlers."""
from smartpay_routing.entrypoints.sagemaker_inference import input_fn, model_fn, output_fn, predict_fn  # noqa: F401
'''
SERVING_REQUIREMENTS = ("vowpalwabbit", "numpy")


def requirements() -> str:
    return "".join(f"{name}=={importlib.metadata.version(name)}\n" for name in SERVING_REQUIREMENTS)


def build_model_dir(checkpoint_id: str, model: bytes, metadata: dict, out_dir: Path) -> Path:
    if not model:
        raise ValueError(f"checkpoint {checkpoint_id} has an empty model")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MODEL_FILE).write_bytes(model)
    meta = {"checkpoint_id": checkpoint_id, "total_updates": metadata.get("total_updates"),
            "created_at": metadata.get("created_at"), "sha256": hashlib.sha256(model).hexdigest()}
    (out_dir / METADATA_FILE).write_text(json.dumps(meta, indent=2))
    code = out_dir / "code"
    code.mkdir(exist_ok=True)
    (code / "inference.py").write_text(ENTRY_POINT)
    (code / "requirements.txt").write_text(requirements())
    shutil.copytree(Path(smartpay_routing.__file__).parent, code / "smartpay_routing", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return out_dir


def build_tarball(checkpoint_id: str, model: bytes, metadata: dict, out: Path, work_dir: Path) -> Path:
    """model.tar.gz with the layout above at its root (what SageMaker's ModelDataUrl points at)."""
    staged = build_model_dir(checkpoint_id, model, metadata, Path(work_dir) / "model")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        for path in sorted(staged.iterdir()):
            tar.add(path, arcname=path.name)
    return out
