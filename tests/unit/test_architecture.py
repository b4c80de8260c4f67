"""Architecture rules that hold across packages: services never import each other, the shared
library imports no service, and every manifest agrees with its code and the catalog."""

import ast
import importlib
from pathlib import Path

import pytest

from smartpay_shared.manifest import all_manifests, repo_root
from smartpay_shared.runtime.consumer import QueueConsumer

ROOT = repo_root()
MANIFESTS = all_manifests()
SERVICE_PACKAGES = {m.package for m in MANIFESTS.values()}


def imported_top_levels(package_dir: Path) -> set[str]:
    names = set()
    for path in package_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("service", sorted(MANIFESTS))
def test_services_never_import_each_other(service):
    manifest = MANIFESTS[service]
    code = ROOT / "services" / service
    others = SERVICE_PACKAGES - {manifest.package}
    assert imported_top_levels(code) & others == set()


def test_shared_library_imports_no_service():
    assert imported_top_levels(ROOT / "shared" / "smartpay_shared") & SERVICE_PACKAGES == set()


@pytest.mark.parametrize("service", sorted(MANIFESTS))
def test_queue_handler_handles_exactly_the_subscriptions(service):
    manifest = MANIFESTS[service]
    module_name, _, attr = manifest.queue_handler.partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attr))
    consumer = module.consumer
    if not isinstance(consumer, QueueConsumer):  # chat: one consumer per invocation, writing through its batch
        consumer = consumer(None)
    handled = set(consumer._handlers)
    assert handled == {s.event_type for s in manifest.subscriptions}


@pytest.mark.parametrize("service", sorted(MANIFESTS))
def test_api_routes_in_manifest_match_the_resolver(service):
    manifest = MANIFESTS[service]
    module_name, _, attr = manifest.api_handler.partition(":")
    module = importlib.import_module(module_name)
    schema = module.app.get_openapi_schema(title=service, version=manifest.version)
    in_code = {(method.upper(), path) for path, item in schema.paths.items()
               for method in ("get", "post", "put", "patch", "delete") if getattr(item, method, None)}
    assert in_code == {(r.method, r.path) for r in manifest.routes}


def test_every_emitted_type_has_a_consumer_or_is_terminal():
    consumed = {s.event_type for m in MANIFESTS.values() for s in m.subscriptions}
    emitted = {e for m in MANIFESTS.values() for e in m.emits}
    # authorized and declined are facts for the timeline/index; nobody needs to react to them yet.
    assert emitted - consumed <= {"payment.authorized", "payment.declined"}
