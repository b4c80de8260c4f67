"""One OpenAPI document for the whole SmartPay API, merged from every service resolver's own schema
(the pydantic models in the handlers are the single source), with the Cognito bearer scheme applied."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

SECURITY_SCHEME = "cognitoIdToken"
ERROR_SCHEMA = "Error"
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def merge_openapi(resolvers: Mapping[str, APIGatewayRestResolver], *, version: str,
                  title: str = "SmartPay") -> dict[str, Any]:
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "Every route needs `Authorization: Bearer <Cognito ID token>`."},
        "servers": [{"url": "/"}],
        "paths": {},
        "components": {"schemas": {ERROR_SCHEMA: _error_schema()},
                       "securitySchemes": {SECURITY_SCHEME: _bearer_scheme()}},
        "tags": [],
    }
    for service, resolver in sorted(resolvers.items()):
        part = json.loads(resolver.get_openapi_json_schema(title=f"{title} {service}", version=version))
        renames = _merge_schemas(doc["components"]["schemas"], part.get("components", {}), service)
        paths = _rewrite_refs(part.get("paths", {}), renames)
        _merge_paths(doc["paths"], paths, service)
        doc["tags"].append({"name": service})
    return doc


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
            operation.setdefault("responses", {}).setdefault("401", _unauthorized_response())
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
                           "its custom:merchant_id claim."}


def _error_schema() -> dict[str, Any]:
    return {"type": "object", "title": ERROR_SCHEMA, "required": ["statusCode", "message"],
            "properties": {"statusCode": {"type": "integer"}, "message": {"type": "string"}}}


def _unauthorized_response() -> dict[str, Any]:
    return {"description": "Missing, malformed, expired or otherwise invalid ID token",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}}}
