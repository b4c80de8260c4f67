"""The serving path (API, queue consumer, SageMaker module) must not import torch, and the SageMaker model
works from the artifact layout docs/fraud.md documents (model.tar.gz extracted into a model directory)."""

import json
import subprocess
import sys

SERVING = ["smartpay_fraud.entrypoints.api", "smartpay_fraud.entrypoints.queue_consumer",
           "smartpay_fraud.entrypoints.sagemaker_inference", "smartpay_fraud.bootstrap"]


def test_serving_modules_do_not_import_torch():
    code = ("import importlib, json, sys\n"
            f"for m in {SERVING!r}: importlib.import_module(m)\n"
            "print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in ('torch', 'torch_geometric'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


BLOCK_TRAINING_IMPORTS = """
import importlib.abc, json, os, sys
BLOCKED = {"pandas", "sklearn", "matplotlib", "pyarrow", "torch", "torch_geometric"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not in the serving image")
sys.meta_path.insert(0, Block())
"""  # a serving image without the training stack: importing it fails

SLIM_IMAGE = BLOCK_TRAINING_IMPORTS + """
import smartpay_fraud.entrypoints.api, smartpay_fraud.entrypoints.queue_consumer
from smartpay_fraud.entrypoints import sagemaker_inference as inference
model = inference.model_fn(sys.argv[1])
body = json.dumps({"instances": [{"features": {"card_count_1h": 3.0},
                                  "entities": {"merchant_id": sys.argv[2], "card_id": "card_000001",
                                               "device_id": "dev_000001"}}]})
print(inference.output_fn(inference.predict_fn(inference.input_fn(body), model)))
"""


def test_serving_runs_without_training_only_libraries(trained, small_dataset, tmp_path):
    """A serving image needs numpy, scipy (xgboost's own dependency), xgboost and redis: not pandas,
    scikit-learn, matplotlib, pyarrow or torch. The graph snapshot lookup is exercised too."""
    from dataclasses import replace

    from smartpay_fraud.domain.graph import build_snapshot

    bundle = replace(trained.bundle, graph=build_snapshot(small_dataset.frame, 0),
                     metadata=dict(trained.bundle.metadata))
    directory = bundle.save(tmp_path / bundle.version)
    merchant = small_dataset.frame.query("card_id == 'card_000001'").merchant_id.iloc[0]  # a node the graph has
    out = subprocess.run([sys.executable, "-c", SLIM_IMAGE, str(directory), merchant], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    prediction = json.loads(out.stdout.strip().splitlines()[-1])["predictions"][0]
    assert prediction["model_version"] == trained.bundle.version and 0 <= prediction["score"] <= 1


SAGEMAKER_CONTAINER = BLOCK_TRAINING_IMPORTS + """
model_dir = sys.argv[1]
sys.path.insert(0, os.path.join(model_dir, "code"))  # what the container does with the model's code/ folder
import inference, smartpay_fraud
assert smartpay_fraud.__file__.startswith(os.path.join(model_dir, "code")), smartpay_fraud.__file__
model = inference.model_fn(model_dir)
body = sys.stdin.read()
print(inference.output_fn(inference.predict_fn(inference.input_fn(body, "application/json"), model),
                          "application/json"))
"""


def test_sagemaker_model_tarball_serves_from_its_documented_layout(trained, small_dataset, tmp_path):
    import tarfile
    from dataclasses import replace

    from smartpay_fraud.adapters import sagemaker_package
    from smartpay_fraud.domain.graph import build_snapshot

    bundle = replace(trained.bundle, graph=build_snapshot(small_dataset.frame, 0),
                     metadata=dict(trained.bundle.metadata))
    version_dir = bundle.save(tmp_path / "registry" / bundle.version)
    tarball = sagemaker_package.build_tarball(version_dir, tmp_path / "model.tar.gz", tmp_path / "work")
    model_dir = tmp_path / "opt-ml-model"
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
        tar.extractall(model_dir, filter="data")
    assert {"model.ubj", "metadata.json", "graph.json", "code/inference.py", "code/requirements.txt",
            "code/smartpay_fraud/entrypoints/sagemaker_inference.py"} <= names
    assert "xgboost-cpu==" in (model_dir / "code" / "requirements.txt").read_text()
    merchant = small_dataset.frame.query("card_id == 'card_000001'").merchant_id.iloc[0]
    instances = [{"features": {"card_count_1h": 9.0, "amount_log": 7.5},
                  "entities": {"merchant_id": merchant, "card_id": "card_000001", "device_id": "dev_000001"},
                  "exponent": 2}]
    out = subprocess.run([sys.executable, "-c", SAGEMAKER_CONTAINER, str(model_dir)], capture_output=True,
                         text=True, input=json.dumps({"instances": instances, "reasons": 2}), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    prediction = json.loads(out.stdout.strip().splitlines()[-1])["predictions"][0]
    assert prediction == bundle.assess(instances, 2)[0].to_dict()


def _lambda_runtime_modules() -> list[str]:
    """Top-level modules of what fraud's Lambda artifact installs (`make package`: smartpay-shared's
    dependencies and the manifest's lambda_package.requirements, with their own dependencies), as this
    venv has them."""
    import re
    from importlib.metadata import distribution, packages_distributions

    from packaging.requirements import Requirement

    from smartpay_shared.local.packaging import requirements
    from smartpay_shared.manifest import load_manifest, repo_root

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    pending = [Requirement(r) for r in requirements(load_manifest(repo_root() / "services" / "fraud"), repo_root())]
    pending = [r for r in pending if norm(r.name) != "awslambdaric"]  # the image's entrypoint, not imported here
    found: set[str] = set()
    while pending:
        req = pending.pop()
        if norm(req.name) in found:
            continue
        found.add(norm(req.name))
        for raw in distribution(req.name).requires or []:
            dep = Requirement(raw)
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in {"", *req.extras}):
                pending.append(dep)
    return sorted(m for m, dists in packages_distributions().items() if any(norm(d) in found for d in dists))


ONLY_THE_LAMBDA_RUNTIME = """
import importlib.abc, importlib.machinery, json, os, sys
ALLOWED = set(json.loads(os.environ["SMARTPAY_TEST_ALLOWED"]))
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        top = name.split(".")[0]
        if top in ALLOWED or top.startswith("smartpay_") or name != top:
            return None
        spec = importlib.machinery.PathFinder.find_spec(top)
        if spec is not None and "site-packages" in str(spec.origin or spec.submodule_search_locations):
            raise ImportError(f"{name} is not in fraud's Lambda artifact")  # installed here, not there
sys.meta_path.insert(0, Block())
""" + SLIM_IMAGE.split("\n", 1)[1].replace("import smartpay_fraud.entrypoints.api",
                                            "import smartpay_fraud.entrypoints.api, smartpay_fraud.bootstrap") + """
loaded = sorted({k.split(".")[0] for k in sys.modules} - set(sys.stdlib_module_names) - set(sys.builtin_module_names))
print(json.dumps(loaded))
"""


def test_serving_imports_and_scores_with_only_the_lambda_artifacts_distributions(trained, small_dataset, tmp_path):
    """Everything outside the artifact's declared runtime is unimportable (not only the training stack):
    the API and worker entrypoints import and a model scores. What they load is numpy, scipy (xgboost 3.2
    imports scipy.sparse at import), xgboost, redis and the shared runtime; pandas, scikit-learn, pyarrow,
    matplotlib, rich and typer, which xgboost imports when present, stay out."""
    import os
    from dataclasses import replace

    from smartpay_fraud.domain.graph import build_snapshot

    allowed = _lambda_runtime_modules()
    assert {"xgboost", "numpy", "scipy", "redis", "boto3", "pydantic"} <= set(allowed)
    assert not {"pandas", "sklearn", "pyarrow", "matplotlib", "rich", "typer", "torch"} & set(allowed)
    bundle = replace(trained.bundle, graph=build_snapshot(small_dataset.frame, 0), metadata=dict(trained.bundle.metadata))
    directory = bundle.save(tmp_path / bundle.version)
    merchant = small_dataset.frame.query("card_id == 'card_000001'").merchant_id.iloc[0]
    out = subprocess.run([sys.executable, "-c", ONLY_THE_LAMBDA_RUNTIME, str(directory), merchant], capture_output=True,
                         text=True, env={**os.environ, "SMARTPAY_TEST_ALLOWED": json.dumps(allowed)})
    assert out.returncode == 0, out.stderr[-2000:]
    prediction_line, loaded_line = out.stdout.strip().splitlines()[-2:]
    assert 0 <= json.loads(prediction_line)["predictions"][0]["score"] <= 1
    loaded = set(json.loads(loaded_line))
    assert {"xgboost", "numpy", "scipy", "redis"} <= loaded
    assert not {"pandas", "sklearn", "pyarrow", "matplotlib"} & loaded
