"""Schemathesis against the merged /openapi.json of the gateway app (see conftest: real services on
moto, Redis, localstripe; a real merchant token), with **every** check schemathesis has, in two phases:

- stateless: every operation, valid and invalid inputs (positive and negative generation): no 5xx,
  every answer conforms to the document (status code declared, content type, headers, body schema),
  valid data accepted, invalid data refused, and the rest of schemathesis' checks;
- stateful: schemathesis' state machine follows the document's links (POST /pay -> GET
  /payments/{payment_id} and its refund; POST /payment-methods -> GET /payment-methods/{vault_id})
  and checks every step the same way, plus its stateful checks (e.g. a created object can be read).

"Valid data accepted" has one documented exception per operation, not a blanket one: an operation
whose schema-valid request can still meet a business rule that needs state the generator cannot
know (a gateway token the gateway never issued, a vault id never enrolled, a refund over the
captured amount, a currency no gateway takes) may answer that rule's 422; every other operation must
accept every valid request (2xx, or 404 for an id that does not exist, or 409 for a reused key).

Fast settings: SMARTPAY_FUZZ_EXAMPLES (default 50) examples per operation and mode;
SMARTPAY_FUZZ_STATEFUL_EXAMPLES (default 15) state machine runs. The figures of each run (cases and
statuses) go to `$SMARTPAY_FUZZ_REPORT` when set (docs/security.md quotes the last one)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import stateful
from werkzeug.test import Client

from smartpay_shared.manifest import all_manifests

pytestmark = pytest.mark.integration
EXAMPLES = int(os.environ.get("SMARTPAY_FUZZ_EXAMPLES", "50"))
STATEFUL_EXAMPLES = int(os.environ.get("SMARTPAY_FUZZ_STATEFUL_EXAMPLES", "15"))
ACCEPTED = ["2xx", "401", "403", "404", "409", "429"]
# The business rules that may refuse a schema-valid request (422), by operation, and why.
BUSINESS_422 = {
    ("POST", "/payment-methods"): "the gateway tokens are checked with each gateway (never issued: 422)",
    ("POST", "/pay"): "a vault_id this merchant never enrolled is a 422 naming payment_method.vault_id",
    ("POST", "/payments/{payment_id}/refund"): "a refund over the refundable amount is a 422",
    ("POST", "/route"): "a currency or country no gateway serves is a 422 naming the field",
    ("POST", "/payments/{payment_id}/disputes"): "a payment not captured, a known_at before the payment or an "
                                                 "amount over the refundable is a 422",
    ("POST", "/fraud/reports"): "a known_at before the payment was scored is a 422 naming known_at",
    ("POST", "/webhook-endpoints"): "the URL safety check resolves the host: one that does not resolve, or to a "
                                    "non-public address, is a 422 naming url",
    ("PATCH", "/webhook-endpoints/{endpoint_id}"): "the same URL safety check as the create",
}
STATUSES: Counter = Counter()


def integers_as_json_integers(value):
    """A whole float (1327.0) where the schema says integer -> 1327. JSON Schema's `integer` admits
    1327.0 by value and schemathesis sends it so; SmartPay's contract (docs/api.md) is stricter on
    purpose: an amount is a JSON integer literal, `1000.0` is a 422 (tested in
    test_contract.py::test_an_amount_must_be_a_json_integer). So a valid client's body is written
    with integer literals; every other generated value is sent as is."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {k: integers_as_json_integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integers_as_json_integers(v) for v in value]
    return value


def fuzz_config(document: dict, token: str) -> SchemathesisConfig:
    # By operation id: schemathesis ORs include-method with include-path (the exception would reach
    # every POST).
    ids = [document["paths"][path][method.lower()]["operationId"] for method, path in BUSINESS_422]
    operations = [{"include-operation-id": op_id,
                   "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}}}
                  for op_id in ids]
    return SchemathesisConfig.from_dict({
        # The merchant's real token, as configured auth: schemathesis then knows which requests carry
        # it (its ignored_auth check re-sends them without it and expects 401).
        "headers": {"Authorization": f"Bearer {token}"},
        "checks": {"enabled": True, "positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        "operations": operations,
        # Follow the document's own links only: the dependency analysis reads `vault_id` in
        # PayRequest as "POST /pay needs a card vaulted first", and no generated gateway token is one
        # a gateway issued, so /pay (and all that follows it) would never run.
        "phases": {"stateful": {"inference": {"algorithms": []}}},
    })


@pytest.fixture(scope="session")
def api_schema(platform):
    document = Client(platform.gateway).get("/openapi.json").json
    return schemathesis.openapi.from_wsgi("/openapi.json", platform.gateway, config=fuzz_config(document, platform.tokens["merchant_a"]))


@pytest.fixture(scope="session", autouse=True)
def _report():
    yield
    target = os.environ.get("SMARTPAY_FUZZ_REPORT")
    if target and STATUSES:
        Path(target).write_text(json.dumps({"cases": sum(STATUSES.values()),
                                            "statuses": dict(sorted(STATUSES.items())),
                                            "server_errors": sum(v for k, v in STATUSES.items() if k >= 500)},
                                           indent=2))


def manifest_routes() -> list[tuple[str, str]]:
    return sorted({(r.method, r.path) for m in all_manifests().values() for r in m.routes})


# Driven through schemathesis' Python API, one test per operation and mode: its pytest loader
# (`schemathesis.pytest.from_fixture`) touches `Function._nodeid`, which pytest 9 no longer has.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), manifest_routes())
def test_every_operation_conforms_and_never_fails(api_schema, platform, method, path, mode):
    operation = api_schema[path][method.lower()]
    auth = {"Authorization": f"Bearer {platform.tokens['merchant_a']}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    def check(case):
        if mode is GenerationMode.POSITIVE:
            case.body = integers_as_json_integers(case.body)
        response = case.call(headers=auth)
        STATUSES[response.status_code] += 1
        if os.environ.get("SMARTPAY_FUZZ_TRACE"):
            print("TRACE", method, path, mode.value, response.status_code, case.meta and case.meta.generation.mode,
                  case.meta and case.meta.phase.name, response.text[:600], json.dumps(case.body)[:300] if isinstance(case.body, dict) else "")
        case.validate_response(response, headers=auth, transport_kwargs={"headers": auth})

    check()


def test_stateful_sequences_follow_the_links_and_conform(api_schema, platform, monkeypatch):
    auth = {"Authorization": f"Bearer {platform.tokens['merchant_a']}"}
    # Schemathesis starts sequences only at operations whose inputs it thinks it can satisfy; it
    # reads PayRequest's customer_id / device_id / ip_address as references to resources no
    # operation creates, so POST /pay would never start one. They are the merchant's own ids, not
    # API resources: every POST with outgoing links is a valid start.
    monkeypatch.setattr(stateful, "is_likely_root_transition",
                        lambda operation, node, produced: operation.method == "post")
    machine = api_schema.as_state_machine()
    steps: Counter = Counter()
    assert machine.bundles, "the document has no links to follow: the stateful phase would test nothing"

    class Sequences(machine):  # type: ignore[misc, valid-type]
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # As the stateless test does: the checks learn which headers the caller set (the token).
            case.validate_response(response, additional_checks=additional_checks, headers=auth,
                                   transport_kwargs=kwargs or None, recorder=self.recorder)

        def before_call(self, case):
            if case.meta is None or case.meta.generation.mode.is_positive:
                case.body = integers_as_json_integers(case.body)

        def after_call(self, response, case):
            super().after_call(response, case)
            STATUSES[response.status_code] += 1
            steps[(case.operation.method.upper(), case.operation.path, response.status_code)] += 1

    Sequences.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=6, deadline=None,
                                    derandomize=True, database=None,
                                    suppress_health_check=list(HealthCheck)))
    # A link was followed: a payment created in a sequence was read back by its id (found, not 404).
    assert steps[("GET", "/payments/{payment_id}", 200)] > 0, dict(steps)


def test_the_document_links_what_a_client_does_next(api_schema):
    raw = api_schema.raw_schema["paths"]
    assert set(raw["/pay"]["post"]["responses"]["202"]["links"]) == {
        "get_payment_payments__payment_id__get.payment_id", "refund_payments__payment_id__refund_post.payment_id",
        "dispute_payments__payment_id__disputes_post.payment_id"}
    assert set(raw["/payment-methods"]["post"]["responses"]["201"]["links"]) == {
        "get_payment_method_payment_methods__vault_id__get.vault_id"}


def test_the_document_covers_every_manifest_route(api_schema):
    documented = {(op.method.upper(), op.path) for op in (r.ok() for r in api_schema.get_all_operations())}
    assert documented == {(r.method, r.path) for m in all_manifests().values() for r in m.routes}
