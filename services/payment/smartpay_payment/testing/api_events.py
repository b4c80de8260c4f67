"""API Gateway REST proxy events with verified Cognito claims (the merchant claim and the group that
confirms it, as the admin path makes them), and a call through the API handler."""

from __future__ import annotations

import json
import uuid

from smartpay_shared.testing import merchant_claims


def api_event(method, path, body=None, merchant="m_acme", headers=None, resource=None, params=None) -> dict:
    headers = {"Content-Type": "application/json", **(headers or {})}
    return {
        "resource": resource or path, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": params,
        "stageVariables": None, "isBase64Encoded": False, "body": json.dumps(body) if body is not None else None,
        "requestContext": {"resourcePath": resource or path, "httpMethod": method, "path": path, "stage": "local",
                           "requestId": str(uuid.uuid4()), "accountId": "123456789012",
                           "identity": {"sourceIp": "127.0.0.1"},
                           "authorizer": {"claims": {**merchant_claims(merchant), "token_use": "id"}}},
    }


def call(*args, **kwargs) -> tuple[int, dict | None]:
    from smartpay_payment.entrypoints import api
    from smartpay_shared.runtime.lambda_context import LocalLambdaContext

    response = api.lambda_handler(api_event(*args, **kwargs), LocalLambdaContext("payment-api"))
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None
