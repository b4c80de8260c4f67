"""Shared fixtures of the Terraform tests: the offline toolchain, the Terraform directories, one parallel
init/validate/test pass over all of them (each directory is then reported as its own test), and one applied
stack shared by the modules that only read it (`applied_stack`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smartpay_shared.local import terraform
from smartpay_shared.testing import MotoServer

REPO_ROOT = Path(__file__).resolve().parents[2]
TF_DIR = REPO_ROOT / "infra" / "terraform"
ROOTS = ["platform", *(f"services/{name}" for name in terraform.SERVICES)]
EXAMPLES = sorted(str(p.relative_to(TF_DIR)) for p in TF_DIR.glob("modules/*/examples/*") if p.is_dir())
MODULES_WITH_TESTS = sorted(str(p.parent.relative_to(TF_DIR)) for p in TF_DIR.glob("modules/*/tests"))
PARALLEL = int(os.environ.get("SMARTPAY_TF_TEST_PARALLEL", "3"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Test modules cannot import this file (--import-mode=importlib): parametrize from here.
    if "validate_dir" in metafunc.fixturenames:
        metafunc.parametrize("validate_dir", ROOTS + EXAMPLES)
    if "tftest_dir" in metafunc.fixturenames:
        metafunc.parametrize("tftest_dir", ROOTS + MODULES_WITH_TESTS)


# The test that destroys the shared stack: it runs after every other test of the session.
DESTROYS_THE_SHARED_STACK = "test_destroy_removes_everything"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.name == DESTROYS_THE_SHARED_STACK)  # stable: the rest keep their order


@dataclass
class Result:
    returncode: int
    output: str

    def check(self, what: str) -> None:
        assert self.returncode == 0, f"{what} failed (exit {self.returncode}):\n{self.output}"


def run_tf(args: list[str], cwd: Path, env: dict[str, str], data_dir: Path, binary: str | None = None) -> Result:
    proc = subprocess.run([binary or env["SMARTPAY_TERRAFORM"], *args], cwd=cwd, env={**env, "TF_DATA_DIR": str(data_dir)},
                          capture_output=True, text=True, timeout=300)
    return Result(proc.returncode, proc.stdout + proc.stderr)


@pytest.fixture(scope="session")
def tf_env() -> dict[str, str]:
    return terraform.ensure_toolchain(REPO_ROOT)


def check_dirs(dirs: list[str], env: dict[str, str], data_root: Path, binary: str | None = None,
               tree: Path = TF_DIR, with_tests: bool = True) -> dict[str, dict[str, Result]]:
    """init + validate (+ `terraform test` where *.tftest.hcl exist) in every dir, in parallel."""

    def one(rel: str) -> dict[str, Result]:
        cwd, data = tree / rel, data_root / rel.replace("/", "-")
        results = {"init": run_tf(["init", "-backend=false", "-input=false", "-no-color"], cwd, env, data, binary)}
        if results["init"].returncode == 0:
            results["validate"] = run_tf(["validate", "-no-color"], cwd, env, data, binary)
            if with_tests and (any(cwd.glob("*.tftest.hcl")) or any(cwd.glob("tests/*.tftest.hcl"))):
                results["test"] = run_tf(["test", "-no-color"], cwd, env, data, binary)
        return results

    # The first init fills the shared plugin cache; the rest only link to it.
    first = {dirs[0]: one(dirs[0])}
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        rest = dict(zip(dirs[1:], pool.map(one, dirs[1:])))
    return {**first, **rest}


@pytest.fixture(scope="session")
def tf_layout() -> dict:
    return {"repo_root": REPO_ROOT, "tf_dir": TF_DIR, "roots": ROOTS, "examples": EXAMPLES,
            "check_dirs": check_dirs}


@pytest.fixture(scope="session")
def tf_checks(tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Result]]:
    return check_dirs(ROOTS + EXAMPLES + MODULES_WITH_TESTS, tf_env, tmp_path_factory.mktemp("tf-data"))


def copy_checkout(dest: Path, toolchain: Path) -> Path:
    """A private copy of what Terraform and the zip builder read (infra/terraform, services, shared: no state,
    no data dirs), with the checkout's .venv and Terraform toolchain linked in: a test may edit VERSION files
    and code, or keep state in the roots as the by-hand path does, without touching the checkout."""
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate", "*.tfstate.*", "__pycache__", "*.egg-info",
                                    ".pytest_cache", "*.tfplan")
    for part in ("infra", "services", "shared"):
        shutil.copytree(REPO_ROOT / part, dest / part, ignore=ignore, symlinks=True)
    (dest / ".venv").symlink_to(REPO_ROOT / ".venv")
    (dest / ".local").mkdir()
    (dest / ".local" / "toolchain").symlink_to(toolchain)
    return dest


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = terraform.ensure_toolchain(REPO_ROOT)
    return copy_checkout(tmp_path_factory.mktemp("checkout"), Path(env["TF_CLI_CONFIG_FILE"]).parent)


@dataclass
class AppliedStack:
    endpoint: str
    state_dir: Path
    outputs: dict[str, Any]


@pytest.fixture(scope="session")
def applied_stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[AppliedStack]:
    """platform + every service root applied once, through smartpay_shared.local.terraform as a stack applies them,
    to a moto server of the session's own; shared by test_identity_and_producers and test_terraform_stack (which
    destroys it last). An apply is mostly hashicorp/aws 5.x waiting for attributes to settle (docs/terraform.md,
    "Apply time"): one apply fewer is about a minute. Tests that change what is deployed apply their own stack."""
    # TOTP codes are checked only with this set (moto/settings.py), as Cognito always does; the wrapper sets
    # the HASH id strategies (stable pool and client ids).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
        server = MotoServer(log_path=tmp_path_factory.mktemp("moto") / "moto.log").start()
    try:
        state_dir = tmp_path_factory.mktemp("terraform-state")
        live = request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled
        with live():
            started = time.monotonic()
            outputs = terraform.apply_stack(endpoint_url=server.url, state_dir=state_dir, repo_root=REPO_ROOT)
            print(f"=== apply_stack (platform + {len(terraform.SERVICES)} services): {time.monotonic() - started:.1f} s")
        yield AppliedStack(server.url, state_dir, outputs)
    finally:
        server.stop()
