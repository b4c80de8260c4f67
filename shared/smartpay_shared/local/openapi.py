"""One OpenAPI document for the whole SmartPay API, merged from every service resolver's own schema
(the pydantic models in the handlers are the single source), with the Cognito bearer scheme applied
and the RFC 9457 problem responses (`application/problem+json`) every operation can answer."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from smartpay_shared.api import DEFAULT_MAX_BODY_BYTES
from smartpay_shared.problems import PROBLEM_JSON
from smartpay_shared.request_body import DEFAULT_MAX_DEPTH

SECURITY_SCHEME = "cognitoIdToken"
PROBLEM_SCHEMA = "Problem"
VALIDATION_PROBLEM_SCHEMA = "ValidationProblem"
FIELD_ERROR_SCHEMA = "FieldError"
# Powertools' own 422 schemas, replaced by ValidationProblem (dropped once nothing refers to them).
_POWERTOOLS_422 = ("HTTPValidationError", "ResponseValidationError", "ValidationError")
# Every operation can answer these (gateway: 401, 413, 429, 502, 503; resolver: 400, 403, 404, 413, 415,
# 422, 500: smartpay_shared.api and smartpay_shared.request_body).
PROBLEM_RESPONSES = {
    "400": f"The body is not valid JSON (NaN and Infinity included) or nests deeper than {DEFAULT_MAX_DEPTH} levels",
    "401": "Missing, malformed, expired or otherwise invalid ID token",
    "403": "The token may not do this (e.g. a merchant route with a token that has no merchant)",
    "404": "No such object for this merchant (another merchant's object is a 404 too)",
    "413": f"Request body over the limit ({DEFAULT_MAX_BODY_BYTES // 1024} KiB by default), also when sent chunked",
    "415": "The body is not application/json (UTF-8)",
    "429": "Per-merchant rate limit exceeded; retry after `Retry-After` seconds",
    "500": "The service failed",
    "502": "The service's handler crashed or answered something that is not a proxy response",
    "503": "A dependency is unavailable; retry later",
}
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def merge_openapi(resolvers: Mapping[str, APIGatewayRestResolver], *, version: str,
                  title: str = "SmartPay") -> dict[str, Any]:
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "Every route needs `Authorization: Bearer <Cognito ID token>`."},
        "servers": [{"url": "/"}],
        "paths": {},
        "components": {"schemas": problem_schemas(),
                       "securitySchemes": {SECURITY_SCHEME: _bearer_scheme()},
                       "headers": {"Retry-After": {"description": "Seconds to wait before retrying",
                                                   "schema": {"type": "integer", "minimum": 1}}}},
        "tags": [],
    }
    for service, resolver in sorted(resolvers.items()):
        part = json.loads(resolver.get_openapi_json_schema(title=f"{title} {service}", version=version))
        renames = _merge_schemas(doc["components"]["schemas"], part.get("components", {}), service)
        paths = _rewrite_refs(part.get("paths", {}), renames)
        _merge_paths(doc["paths"], paths, service)
        doc["tags"].append({"name": service})
    _drop_unreferenced(doc, _POWERTOOLS_422)
    add_links(doc)
    return doc


def add_links(doc: dict[str, Any]) -> None:
    """OpenAPI links from each success response to the operations whose path parameter it returns
    in the same service (POST /pay's `payment_id` -> GET /payments/{payment_id}, its refund...): what a
    client does next, and what a stateful test (schemathesis' stateful phase) follows."""
    schemas = doc["components"]["schemas"]
    takers: dict[str, list[str]] = {}
    for item in doc["paths"].values():
        for method, operation in item.items():
            if method in _METHODS and operation.get("operationId"):
                for param in operation.get("parameters", []):
                    if param.get("in") == "path":
                        takers.setdefault(param["name"], []).append((operation["operationId"],
                                                                     tuple(operation.get("tags", []))))
    for item in doc["paths"].values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            for status, response in operation.get("responses", {}).items():
                schema = (response.get("content") or {}).get("application/json", {}).get("schema") or {}
                ref = schema.get("$ref", "")
                fields = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}) if ref else {}
                links = {f"{target}.{name}": {"operationId": target, "parameters": {name: f"$response.body#/{name}"}}
                         for name in sorted(fields) for target, tags in takers.get(name, [])
                         if status.startswith("2") and target != operation.get("operationId")
                         and tags == tuple(operation.get("tags", []))}
                if links:
                    response["links"] = links


def _merge_schemas(into: dict[str, Any], components: dict[str, Any], service: str) -> dict[str, str]:
    """Add a service's schemas; a name already taken by a different schema is prefixed with the
    service (refs are rewritten), an identical one is shared."""
    schemas = components.get("schemas", {})
    renames = {name: f"{service.title()}{name}" for name, schema in schemas.items()
               if name in into and into[name] != schema}
    for name, schema in schemas.items():
        target = renames.get(name, name)
        into.setdefault(target, _rewrite_refs(schema, renames))
    return renames


def _merge_paths(into: dict[str, Any], paths: dict[str, Any], service: str) -> None:
    for path, item in paths.items():
        target = into.setdefault(path, {})
        for method, operation in item.items():
            if method not in _METHODS:
                target.setdefault(method, operation)
                continue
            if method in target:
                raise ValueError(f"{method.upper()} {path} is served by two services")
            operation.setdefault("tags", [service])
            operation["security"] = [{SECURITY_SCHEME: []}]
            add_problem_responses(operation.setdefault("responses", {}))
            target[method] = operation


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite_refs(v, renames) for k, v in node.items()}
        ref = out.get("$ref")
        prefix = "#/components/schemas/"
        if isinstance(ref, str) and ref.startswith(prefix) and ref[len(prefix):] in renames:
            out["$ref"] = prefix + renames[ref[len(prefix):]]
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, renames) for v in node]
    return copy.copy(node)


def _bearer_scheme() -> dict[str, Any]:
    return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A Cognito user pool ID token (not the access token); the merchant is "
                           "its custom:merchant_id claim, confirmed by the operator-assigned group "
                           "merchant:<merchant_id> in cognito:groups (otherwise 403 merchant-unconfirmed)."}


def add_problem_responses(responses: dict[str, Any]) -> None:
    """422 becomes a ValidationProblem; the others (and `default`) a Problem, as problem+json."""
    responses["422"] = _problem_response("The body, a header or a path parameter is invalid, holds a card number "
                                         "or a lone UTF-16 surrogate (field-level `errors`, never the value)",
                                         VALIDATION_PROBLEM_SCHEMA)
    for status, description in PROBLEM_RESPONSES.items():
        existing = responses.get(status, {})
        responses[status] = _problem_response(existing.get("description") or description, PROBLEM_SCHEMA)
    responses["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    responses["429"]["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
    responses.setdefault("default", _problem_response("Any other error, as problem details", PROBLEM_SCHEMA))


def problem_schemas() -> dict[str, Any]:
    problem = {
        "type": "object", "title": PROBLEM_SCHEMA, "description": "RFC 9457 problem details",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri-reference", "examples": ["urn:smartpay:problem:not-found"]},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string", "description": "The request path"},
            "request_id": {"type": "string", "description": "Also in the X-Amzn-RequestId header and the logs"},
        },
        "additionalProperties": True,  # extension members, e.g. retry_after_seconds, code, reasons
    }
    field_error = {
        "type": "object", "title": FIELD_ERROR_SCHEMA, "required": ["loc", "type", "detail"],
        "description": "One invalid field; never the value that was sent",
        "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    "description": "Where: ['body', 'payment_method', 'token'], ['header', 'idempotency-key']"},
            "pointer": {"type": "string", "description": "JSON pointer into the body, e.g. #/payment_method/token"},
            "type": {"type": "string", "description": "pydantic error type, e.g. greater_than, missing"},
            "detail": {"type": "string"},
        },
    }
    validation = {
        "title": VALIDATION_PROBLEM_SCHEMA,
        "allOf": [{"$ref": f"#/components/schemas/{PROBLEM_SCHEMA}"},
                  {"type": "object", "required": ["errors"], "properties": {
                      "errors": {"type": "array", "items": {"$ref": f"#/components/schemas/{FIELD_ERROR_SCHEMA}"}}}}],
    }
    return {PROBLEM_SCHEMA: problem, FIELD_ERROR_SCHEMA: field_error, VALIDATION_PROBLEM_SCHEMA: validation}


def _problem_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _drop_unreferenced(doc: dict[str, Any], names: tuple[str, ...]) -> None:
    schemas = doc["components"]["schemas"]
    for name in names:
        rest = {k: v for k, v in doc.items() if k != "components"}
        others = {k: v for k, v in schemas.items() if k != name}
        if name in schemas and f"#/components/schemas/{name}" not in json.dumps([rest, others]):
            del schemas[name]
