"""A service's SageMaker model artifact (model.tar.gz, extracted to /opt/ml/model): the model files at the root,
`code/inference.py` (the entry point the container runs), `code/requirements.txt` (pinned as in this
environment) and the service's package vendored under `code/<package>/`. Used by each service's
`package-sagemaker` command; the served code imports only its own package."""

from __future__ import annotations

import importlib.metadata
import shutil
import tarfile
from collections.abc import Iterable
from pathlib import Path


def pinned(names: Iterable[str]) -> str:
    return "".join(f"{name}=={importlib.metadata.version(name)}\n" for name in names)


def add_code(model_dir: Path, package_dir: Path, entry_point: str, requirements: Iterable[str]) -> Path:
    """Write code/inference.py, code/requirements.txt and code/<package>/ into `model_dir`."""
    code = Path(model_dir) / "code"
    code.mkdir(parents=True, exist_ok=True)
    (code / "inference.py").write_text(entry_point)
    (code / "requirements.txt").write_text(pinned(requirements))
    shutil.copytree(package_dir, code / Path(package_dir).name, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return code


def write_tarball(model_dir: Path, out: Path) -> Path:
    """model.tar.gz with `model_dir`'s content at its root (what SageMaker's ModelDataUrl points at)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        for path in sorted(Path(model_dir).iterdir()):
            tar.add(path, arcname=path.name)
    return out
