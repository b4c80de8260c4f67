"""Lay a policy checkpoint out as a SageMaker model (model.tar.gz, extracted to /opt/ml/model):

    model.vw, metadata.json        the checkpoint's bytes as the worker saved them; its id and update count
    code/inference.py              entry point: re-exports model_fn/input_fn/predict_fn/output_fn
    code/requirements.txt          what the container installs: vowpalwabbit and numpy, pinned as here
    code/smartpay_routing/         this package, vendored (serving imports VW and the domain only)

model_fn receives the extracted directory (model_dir) and loads the files at its root."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from smartpay_shared.sagemaker_artifact import add_code, write_tarball

import smartpay_routing
from smartpay_routing.entrypoints.sagemaker_inference import METADATA_FILE, MODEL_FILE

ENTRY_POINT = '''"""SageMaker entry point (SAGEMAKER_PROGRAM=inference.py): the routing bandit's inference handlers."""
from smartpay_routing.entrypoints.sagemaker_inference import input_fn, model_fn, output_fn, predict_fn  # noqa: F401
'''
SERVING_REQUIREMENTS = ("vowpalwabbit", "numpy")


def build_model_dir(checkpoint_id: str, model: bytes, metadata: dict, out_dir: Path) -> Path:
    if not model:
        raise ValueError(f"checkpoint {checkpoint_id} has an empty model")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MODEL_FILE).write_bytes(model)
    meta = {"checkpoint_id": checkpoint_id, "total_updates": metadata.get("total_updates"),
            "created_at": metadata.get("created_at"), "sha256": hashlib.sha256(model).hexdigest()}
    (out_dir / METADATA_FILE).write_text(json.dumps(meta, indent=2))
    add_code(out_dir, Path(smartpay_routing.__file__).parent, ENTRY_POINT, SERVING_REQUIREMENTS)
    return out_dir


def build_tarball(checkpoint_id: str, model: bytes, metadata: dict, out: Path, work_dir: Path) -> Path:
    """model.tar.gz with the layout above at its root (what SageMaker's ModelDataUrl points at)."""
    return write_tarball(build_model_dir(checkpoint_id, model, metadata, Path(work_dir) / "model"), out)
