"""Merging the services' OpenAPI documents into one: schema collisions, the bearer scheme on every
route, and the real services' merged document is valid OpenAPI 3.1."""

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from smartpay_shared.api import build_resolver
from smartpay_shared.local.gateway import LazyHandlers
from smartpay_shared.local.openapi import SECURITY_SCHEME, merge_openapi
from smartpay_shared.manifest import all_manifests


def resolver_with(path: str, model: type[BaseModel]):
    app = build_resolver("t", "1")

    @app.post(path)
    def handle(body: model) -> dict:  # type: ignore[valid-type]
        return {}

    return app


class Thing(BaseModel):
    name: str


def _other_thing() -> type[BaseModel]:
    class Thing(BaseModel):  # same schema name, different shape, in another service
        count: int

    return Thing


OtherThing = _other_thing()


def test_a_clashing_schema_name_is_prefixed_with_the_service_and_refs_follow():
    doc = merge_openapi({"alpha": resolver_with("/a", Thing), "beta": resolver_with("/b", OtherThing)},
                        version="1.0.0")
    schemas = doc["components"]["schemas"]
    assert set(schemas["Thing"]["properties"]) == {"name"}
    assert set(schemas["BetaThing"]["properties"]) == {"count"}
    body_ref = doc["paths"]["/b"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref == "#/components/schemas/BetaThing"
    validate(doc)


def test_identical_schemas_are_shared():
    doc = merge_openapi({"alpha": resolver_with("/a", Thing), "beta": resolver_with("/b", Thing)},
                        version="1.0.0")
    assert "BetaThing" not in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]  # replaced by ValidationProblem


def test_two_services_serving_one_route_is_an_error():
    with pytest.raises(ValueError, match="POST /a is served by two services"):
        merge_openapi({"alpha": resolver_with("/a", Thing), "beta": resolver_with("/a", Thing)}, version="1")


def test_every_route_needs_the_bearer_token_and_documents_its_401():
    doc = merge_openapi({"alpha": resolver_with("/a", Thing)}, version="1.0.0")
    operation = doc["paths"]["/a"]["post"]
    assert operation["security"] == [{SECURITY_SCHEME: []}]
    assert operation["tags"] == ["alpha"]
    assert "401" in operation["responses"]
    assert doc["components"]["securitySchemes"][SECURITY_SCHEME]["scheme"] == "bearer"


def test_the_real_services_merge_into_one_valid_document():
    handlers = LazyHandlers({m.service: m.api_handler for m in all_manifests().values() if m.api_handler})
    doc = merge_openapi(handlers.resolvers(), version="0.1.0")
    validate(doc)
    operations = {(method.upper(), path) for path, item in doc["paths"].items() for method in item}
    assert operations == {(r.method, r.path) for m in all_manifests().values() for r in m.routes}
    assert {("POST", "/fraud"), ("POST", "/route"), ("POST", "/pay"), ("GET", "/payments/{payment_id}"),
            ("POST", "/payments/{payment_id}/refund"), ("POST", "/chat")} <= operations
    assert {"PayRequest", "FraudRequest", "RouteRequest", "ChatRequest", "RefundRequest"} <= set(
        doc["components"]["schemas"])


def test_every_operation_declares_its_problem_responses():
    doc = merge_openapi({"alpha": resolver_with("/a", Thing)}, version="1.0.0")
    validate(doc)
    responses = doc["paths"]["/a"]["post"]["responses"]
    for status in ("401", "403", "404", "413", "429", "500", "502", "503", "default"):
        content = responses[status]["content"]
        assert list(content) == ["application/problem+json"], status
        assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert responses["422"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationProblem"}
    assert responses["429"]["headers"]["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}
    assert "200" in responses  # the route's own answer is kept
    problem = doc["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status", "detail"]


def test_the_problem_schemas_accept_what_the_resolvers_answer():
    from jsonschema import Draft202012Validator

    from smartpay_shared import problems

    doc = merge_openapi({"alpha": resolver_with("/a", Thing)}, version="1.0.0")
    registry_doc = {"components": doc["components"]}
    errors = problems.field_errors([{"loc": ("body", "name"), "type": "missing", "msg": "Field required"}])
    body = problems.problem(422, problems.validation_detail(errors), kind=problems.VALIDATION, errors=errors,
                            instance="/a", request_id="r-1")
    schema = {**doc["components"]["schemas"]["ValidationProblem"], "components": registry_doc["components"]}
    Draft202012Validator(schema).validate(body)
    bad = {k: v for k, v in body.items() if k != "errors"}
    assert list(Draft202012Validator(schema).iter_errors(bad))
