"""Calls through the API handler with API Gateway proxy events carrying a merchant's verified claims."""

from __future__ import annotations

import json
import uuid

from smartpay_shared.testing import merchant_claims


def call(method: str, path: str, body=None, *, merchant: str = "m_acme", resource: str | None = None,
         params: dict | None = None, query: dict | None = None) -> tuple[int, dict | None]:
    from smartpay_shared.runtime.lambda_context import LocalLambdaContext

    from smartpay_webhooks.entrypoints import api

    headers = {"Content-Type": "application/json"}
    event = {
        "resource": resource or path, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query, "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": params, "stageVariables": None, "isBase64Encoded": False,
        "body": json.dumps(body) if body is not None else None,
        "requestContext": {"resourcePath": resource or path, "httpMethod": method, "path": path, "stage": "local",
                           "requestId": str(uuid.uuid4()), "accountId": "123456789012",
                           "identity": {"sourceIp": "127.0.0.1"},
                           "authorizer": {"claims": {**merchant_claims(merchant), "token_use": "id"}}},
    }
    response = api.lambda_handler(event, LocalLambdaContext("webhooks-api"))
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def endpoint_call(method: str, endpoint_id: str, suffix: str = "", body=None, *, merchant: str = "m_acme",
                  query: dict | None = None) -> tuple[int, dict | None]:
    """A call on /webhook-endpoints/{endpoint_id}[suffix]."""
    return call(method, f"/webhook-endpoints/{endpoint_id}{suffix}", body, merchant=merchant,
                resource="/webhook-endpoints/{endpoint_id}" + suffix, params={"endpoint_id": endpoint_id},
                query=query)
