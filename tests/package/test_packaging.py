"""The packaging rules without building anything (no index, no emulator): what the manifests declare, which
platform tags each package type accepts, the import closure and its refusals, and the docs' table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartpay_shared.local import import_closure, package_docs, packaging
from smartpay_shared.manifest import all_manifests

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_zip_takes_only_wheels_amazon_linux_2_can_load_and_image_those_of_amazon_linux_2023():
    zip_tags, image_tags = packaging.platforms("Zip"), packaging.platforms("Image")
    assert "manylinux2014_x86_64" in zip_tags and "manylinux_2_26_x86_64" in zip_tags
    assert not any(t.startswith(("manylinux_2_27", "manylinux_2_28")) for t in zip_tags)
    assert {"manylinux_2_28_x86_64", "manylinux_2_34_x86_64", "manylinux2014_x86_64"} <= set(image_tags)
    assert "manylinux_2_35_x86_64" not in image_tags


def test_every_service_declares_its_package_and_every_requirement_is_pinned():
    pins = packaging.constraints(REPO_ROOT)
    for name, manifest in all_manifests().items():
        assert manifest.lambda_package is not None, name
        for requirement in packaging.requirements(manifest, REPO_ROOT):
            dist = requirement.split("[")[0].split("==")[0].strip()
            assert packaging._normalize(dist) in pins, f"{name}: {dist} has no pin in requirements/constraints.txt"
        assert ("awslambdaric" in packaging.requirements(manifest, REPO_ROOT)) == (
            manifest.lambda_package.package_type == "Image")


def test_the_handlers_reach_no_local_stack_cli_or_test_code():
    for name, manifest in all_manifests().items():
        roots = {"smartpay_shared": REPO_ROOT / "shared" / "smartpay_shared",
                 manifest.package: REPO_ROOT / "services" / name / manifest.package}
        reached = import_closure.closure([h.partition(":")[0] for h in manifest.handlers.values()], roots)
        assert [m for m in reached.modules if packaging.FORBIDDEN.search(m)] == [], name
        assert f"{manifest.package}.entrypoints.api" in reached.modules
        for dev_only in ("matplotlib", "rich", "typer", "localstripe", "hypothesis", "moto", "torch"):
            assert dev_only not in reached.external, (name, dev_only, reached.external.get(dev_only))


def test_the_closure_follows_lazy_imports_and_refuses_a_forbidden_one(tmp_path):
    pkg = tmp_path / "smartpay_demo"
    (pkg / "entrypoints").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "entrypoints" / "__init__.py").write_text("")
    (pkg / "entrypoints" / "cli.py").write_text("import typer\n")
    (pkg / "entrypoints" / "api.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from smartpay_demo import typed_only\n"
        "def handler():\n    from .. import lazy\n    import numpy\n")
    (pkg / "lazy.py").write_text("from smartpay_demo.entrypoints import cli\n")
    (pkg / "typed_only.py").write_text("import pandas\n")
    reached = import_closure.closure(["smartpay_demo.entrypoints.api"], {"smartpay_demo": pkg})
    assert set(reached.modules) == {"smartpay_demo", "smartpay_demo.entrypoints", "smartpay_demo.entrypoints.api",
                                    "smartpay_demo.lazy", "smartpay_demo.entrypoints.cli"}
    assert reached.chain("smartpay_demo.entrypoints.cli") == [
        "smartpay_demo.entrypoints.api", "smartpay_demo.lazy", "smartpay_demo.entrypoints.cli"]
    assert set(reached.external) == {"typing", "numpy", "typer"}  # not pandas: only under TYPE_CHECKING
    assert packaging.FORBIDDEN.search("smartpay_demo.entrypoints.cli")


def test_the_docs_table_is_generated_from_the_recorded_sizes():
    record = json.loads((REPO_ROOT / package_docs.RECORD).read_text())
    doc = (REPO_ROOT / package_docs.DOC).read_text()
    assert package_docs.doc_table(doc) == package_docs.table(record)
    functions = {f"{s}-{kind}" for s, m in all_manifests().items() for kind in m.handlers}
    assert set(record) == functions
    for name, entry in record.items():
        assert entry["package_type"] == all_manifests()[name.split("-")[0]].lambda_package.package_type
        if entry["package_type"] == "Zip":
            assert entry["under_250_mb_unzipped"] and entry["unzipped_mb"] < 250, name


@pytest.mark.parametrize("service", sorted(all_manifests()))
def test_an_image_dockerfile_runs_the_workers_handler_through_the_runtime_interface_client(service):
    manifest = all_manifests()[service]
    text = packaging.dockerfile(manifest)
    assert [line for line in text.splitlines() if line.startswith("FROM ")] == [f"FROM {packaging.IMAGE_BASE}"]
    assert 'ENTRYPOINT ["/usr/bin/python3.11", "-m", "awslambdaric"]' in text
    assert f'CMD ["{manifest.queue_handler.replace(":", ".")}"]' in text
    assert "COPY . /var/task/" in text and "ENV PYTHONPATH=/var/task" in text  # the context is the unpacked zip


def test_an_import_the_package_cannot_satisfy_is_found_and_a_wrong_pin_refused(tmp_path):
    (tmp_path / "numpy").mkdir()
    (tmp_path / "six.py").write_text("")
    (tmp_path / "numpy-2.4.6.dist-info").mkdir()
    external = {"numpy": ["a"], "six": ["b"], "pandas": ["smartpay_fraud.domain.graph"], "json": ["c"]}
    assert packaging.unsatisfied(external, tmp_path) == {"pandas": ["smartpay_fraud.domain.graph"]}
    pins = packaging.constraints(REPO_ROOT)
    packaging.check_pins({"numpy": pins["numpy"], "smartpay-fraud": "0.1.0"}, pins)
    with pytest.raises(packaging.PackageError, match="numpy==2.0.0"):
        packaging.check_pins({"numpy": "2.0.0"}, pins)
    with pytest.raises(packaging.PackageError, match="not-a-pinned-dist"):
        packaging.check_pins({"not-a-pinned-dist": "1.0"}, pins)
