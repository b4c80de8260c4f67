"""The environment contract without an emulator: the settings classes themselves (one prefix each, every
setting without a default is set by Terraform), the generated tables of docs/terraform.md, the comparison
the apply test relies on (on environments that are wrong on purpose), and no environment read in function
code outside the settings classes but the listed ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartpay_shared.api import limiter_from_env
from smartpay_shared.config import ApiSettings, PlatformSettings, SetBy, deployed, environment_keys, set_by

REPO_ROOT = Path(__file__).resolve().parents[2]

# Direct environment reads left in function code, and why (everything else a function reads is a field
# of its settings classes). The Lambda runtime's own variables are read by the tracing and worker plumbing;
# AWS_ENDPOINT_URL is PlatformSettings.endpoint_url's key, read directly in two places owned elsewhere.
ALLOWED_DIRECT_READS = {
    ("services/fraud/smartpay_fraud/service_layer/promotion.py", "SMARTPAY_OPERATOR"):
        "CLI only: who `smartpay fraud promote` records as the promoter (default: the login name)",
    ("services/payment/smartpay_payment/entrypoints/cli.py", "AWS_ENDPOINT_URL"):
        "CLI only: `smartpay payment put-secrets` refuses a non-local endpoint",
    ("services/payment/smartpay_payment/testing/local_stack.py", "<os.environ>"):
        "tests only: runs the payment service with a worker process's environment",
    ("services/rewards/smartpay_rewards/demo_chain.py", "<os.environ>"):
        "demo only: runs `smartpay rewards reconcile` with the minter's deployed environment",
    ("shared/smartpay_shared/runtime/tracing.py", "AWS_XRAY_CONTEXT_MISSING"): "X-Ray SDK setting",
    ("shared/smartpay_shared/runtime/worker_tracing.py", "AWS_XRAY_CONTEXT_MISSING"): "X-Ray SDK setting",
    ("shared/smartpay_shared/runtime/worker_tracing.py", "AWS_XRAY_DAEMON_ADDRESS"): "Lambda runtime (reserved)",
    ("shared/smartpay_shared/runtime/worker_tracing.py", "AWS_LAMBDA_FUNCTION_NAME"): "Lambda runtime (reserved)",
}
# Function code: what a Lambda package carries (the services, and the shared library but its local stack,
# CLI and test support, which never run in a function).
FUNCTION_CODE = [*sorted((REPO_ROOT / "services").glob("*/smartpay_*")), REPO_ROOT / "shared" / "smartpay_shared"]
NOT_FUNCTION_CODE = ("shared/smartpay_shared/local/", "shared/smartpay_shared/testing/", "shared/smartpay_shared/cli/")


def direct_reads(path: Path) -> set[str]:
    """The keys a module reads with os.environ / os.getenv ("<os.environ>": the mapping itself is passed
    along, copied or patched; "<expr>": a key that is not a literal)."""
    tree = ast.parse(path.read_text(), str(path))
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found: set[str] = set()

    def key(node: ast.expr) -> str:
        return node.value if isinstance(node, ast.Constant) else f"<{ast.unparse(node)}>"

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "os.getenv" and node.args:
            found.add(key(node.args[0]))
        elif isinstance(node, ast.Attribute) and ast.unparse(node) == "os.environ":
            parent = parents.get(node)
            if isinstance(parent, ast.Subscript) and parent.value is node:
                found.add(key(parent.slice))
            elif isinstance(parent, ast.Attribute) and isinstance(parents.get(parent), ast.Call):
                call = parents[parent]
                found.add(key(call.args[0]) if call.args else f"<os.environ.{parent.attr}()>")
            else:
                found.add("<os.environ>")
    return found


def test_function_code_reads_the_environment_through_its_settings_only():
    reads = {}
    for root in FUNCTION_CODE:
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(REPO_ROOT).as_posix()
            if rel.startswith(NOT_FUNCTION_CODE):
                continue
            for key in direct_reads(path):
                reads[(rel, key)] = ALLOWED_DIRECT_READS.get((rel, key), "NOT ALLOWED: make it a settings field")
    assert reads == ALLOWED_DIRECT_READS


def test_the_scanner_finds_each_kind_of_read(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom unittest import mock\n"
                      "a = os.environ.get('A')\nb = os.getenv('B', 'x')\nc = os.environ['C']\n"
                      "d = dict(os.environ)\nname = 'E'\ne = os.environ.get(name)\n")
    assert direct_reads(module) == {"A", "B", "C", "<os.environ>", "<name>"}
    module.write_text("import os\nx = os.environ.get('A')\n")
    assert direct_reads(module) == {"A"}


def test_settings_classes_have_one_prefix_and_deploy_what_has_no_default(contract):
    assert contract.static_problems() == []


def test_the_docs_tables_are_the_settings_classes(contract):
    documented = contract.doc_block(contract.DOC.read_text())
    assert documented == contract.render(), (
        "docs/terraform.md's environment tables are stale: run "
        "`.venv/bin/python tests/contract/environment_contract.py --write`")


def test_a_stale_docs_table_is_caught(contract, tmp_path):
    doc = tmp_path / "terraform.md"
    doc.write_text(f"# T\n\n{contract.BEGIN}\nold\n{contract.END}\n")
    assert contract.doc_block(doc.read_text()) != contract.render()
    assert contract.write_doc(doc) and contract.doc_block(doc.read_text()) == contract.render()
    assert not contract.write_doc(doc)  # a second run changes nothing


class _Example(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_")

    table: str = Field(default="t", description="d", json_schema_extra=deployed("the table"))
    endpoint: str | None = Field(default=None, description="d", json_schema_extra=deployed("x", when="y is on"))
    needed: str = Field(description="d", json_schema_extra=deployed("always"))
    tuning: int = Field(default=3, description="d")
    local_only: str = Field(default="", description="d", json_schema_extra=set_by(SetBy.LOCAL, "emulator"))


def test_drift_finds_unknown_and_missing_keys(contract):
    good = {"SMARTPAY_NAME_PREFIX": "p", "SMARTPAY_BUS_NAME": "p-bus", "EXAMPLE_TABLE": "p-t", "EXAMPLE_NEEDED": "n"}
    classes = [PlatformSettings, _Example]
    assert contract.drift(good, classes, conditional_expected=False) == []
    assert contract.drift(good, classes, conditional_expected=True) == [
        "missing: EXAMPLE_ENDPOINT (_Example.endpoint) is marked deployed (x), and Terraform did not set it"]
    renamed = {**{k: v for k, v in good.items() if k != "EXAMPLE_TABLE"}, "SMARTPAY_EXAMPLE_TABLE": "p-t"}
    assert contract.drift(renamed, classes, conditional_expected=False) == [
        "unknown: SMARTPAY_EXAMPLE_TABLE is set, but no settings class of this function reads it",
        "missing: EXAMPLE_TABLE (_Example.table) is marked deployed (the table), and Terraform did not set it"]
    without_required = {k: v for k, v in good.items() if k != "EXAMPLE_NEEDED"}
    assert contract.drift(without_required, classes, conditional_expected=False) == [
        "missing: EXAMPLE_NEEDED (_Example.needed) has no default, and Terraform did not set it"]
    not_terraforms = {**good, "EXAMPLE_TUNING": "4", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}
    assert contract.drift(not_terraforms, classes, conditional_expected=False) == [
        "unknown: AWS_ENDPOINT_URL is set, but PlatformSettings.endpoint_url says it is set by local stack, "
        "not Terraform",
        "unknown: EXAMPLE_TUNING is set, but _Example.tuning says it is set by default, not Terraform"]
    # An API key on a worker (which does not load ApiSettings) is unknown there.
    assert contract.drift({**good, "SMARTPAY_API_REDIS_URL": "redis://x"}, classes, conditional_expected=False) == [
        "unknown: SMARTPAY_API_REDIS_URL is set, but no settings class of this function reads it"]
    assert contract.drift({**good, "SMARTPAY_API_REDIS_URL": "redis://x", "SMARTPAY_API_RATE_LIMIT_PER_SECOND": "1",
                           "SMARTPAY_API_RATE_LIMIT_BURST": "2"},
                          [*classes, ApiSettings], conditional_expected=False) == []


def test_one_key_per_setting():
    from pydantic import AliasChoices

    class Two(BaseSettings):
        x: str = Field(default="", validation_alias=AliasChoices("A_X", "B_X"))

    with pytest.raises(TypeError, match="one environment key per setting"):
        environment_keys(Two)


def test_the_api_limit_comes_from_the_mapping_given_not_the_process(monkeypatch):
    monkeypatch.setenv("SMARTPAY_API_RATE_LIMIT_PER_SECOND", "9")
    monkeypatch.setenv("SMARTPAY_API_REDIS_URL", "redis://127.0.0.1:1/0")
    assert limiter_from_env({}) is None
    assert limiter_from_env().limit_per_second == 9
    with pytest.raises(ValueError, match="no Redis URL"):
        limiter_from_env({"SMARTPAY_API_RATE_LIMIT_PER_SECOND": "5"})
