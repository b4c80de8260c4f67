"""The environment contract's library (environment_contract.py, also a script that rewrites the docs) for
the tests here: test modules cannot import a sibling file under --import-mode=importlib, so it is loaded
once by path and handed out as the `contract` fixture, and the functions parametrize the tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load() -> ModuleType:
    name = "smartpay_environment_contract"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("environment_contract.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


CONTRACT = _load()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "function_kind" in metafunc.fixturenames:
        pairs = [(service, kind) for service, kinds in CONTRACT.functions().items() for kind in kinds]
        metafunc.parametrize("function_kind", pairs, ids=[f"{s}-{k}" for s, k in pairs])


@pytest.fixture(scope="session")
def contract() -> ModuleType:
    return CONTRACT
