"""The redaction backstop: whatever a service puts into an error (a validator's message quoting a dict,
a legacy `message`, pass-through members, the request path), no card number leaves in a problem body;
a 5xx built from an exception carries a fixed detail and the cause goes to the log only."""

import json
import logging

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, model_validator

from smartpay_shared import pan, problems
from smartpay_shared.api import Unavailable, build_resolver, problem_result
from smartpay_shared.runtime.lambda_context import LocalLambdaContext

PAN = "4242424242424242"
DOTTED = "4242.4242.4242.4242"
DASHED = "5555-5555-5555-4444"


class Legacy(Exception):
    pass


class Down(Exception):
    pass


class Card(BaseModel):
    holder: str

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data):
        if isinstance(data, dict) and "number" in data:
            raise ValueError(f"unexpected input {data}")  # a careless message quoting the whole dict
        return data


app = build_resolver("redaction", "0")


@app.exception_handler(Legacy)
def _legacy(exc):
    return Response(409, "application/json", {"statusCode": 409, "message": f"card {DASHED} seen twice",
                                              "hint": {"last": [f"tried {DOTTED}"]},
                                              f"card {PAN}": "x"})


@app.exception_handler(Down)
def _down(exc):
    raise Unavailable("the card vault", exc)


@app.get("/payments/<payment_id>")
def get_payment(payment_id: str) -> dict:
    raise Legacy()


@app.post("/cards")
def add_card(card: Card) -> dict:
    return {}


@app.get("/down")
def down() -> dict:
    raise Down(f"connect to vault-db.internal:5432 failed for {PAN}")


def call(method, resource, path, body=None):
    event = {"resource": resource, "path": path, "httpMethod": method, "headers": {"Content-Type": "application/json"},
             "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": None, "stageVariables": None, "isBase64Encoded": False,
             "body": json.dumps(body) if body is not None else None,
             "requestContext": {"resourcePath": resource, "httpMethod": method, "stage": "local", "requestId": "r-1",
                                "identity": {"sourceIp": "127.0.0.1"},
                                "authorizer": {"claims": {"custom:merchant_id": "m_acme"}}}}
    result = app.resolve(event, LocalLambdaContext("redaction"))
    return result["statusCode"], result["body"]


def test_the_path_is_never_the_instance_the_route_template_is():
    # The card guard (smartpay_shared.card_guard) refuses the card in the path before the route runs.
    status, raw = call("GET", "/payments/{payment_id}", f"/payments/{PAN}")
    body = json.loads(raw)
    assert status == 422 and body["instance"] == "/payments/{payment_id}"
    assert [e["loc"] for e in body["errors"]] == [["path"]]
    assert "4242" not in raw and "5555" not in raw


def test_legacy_message_extensions_and_keys_are_redacted_at_any_depth():
    _, raw = call("GET", "/payments/{payment_id}", "/payments/pay_1")
    body = json.loads(raw)
    assert body["detail"] == f"card {pan.REDACTED} seen twice"
    assert body["hint"] == {"last": [f"tried {pan.REDACTED}"]}
    assert f"card {pan.REDACTED}" in body and not pan.contains_pan(raw)


def test_a_model_validator_quoting_a_dict_input_is_redacted():
    status, raw = call("POST", "/cards", "/cards", {"holder": "A", "number": "4242 4242 4242 4242"})
    assert status == 422 and not pan.contains_pan(raw) and "4242 4242" not in raw


def test_a_5xx_from_an_exception_has_a_fixed_detail_and_logs_the_cause(caplog):
    with caplog.at_level(logging.ERROR, logger="smartpay.api"):
        status, raw = call("GET", "/down", "/down")
    body = json.loads(raw)
    assert status == 503 and body["detail"] == "the card vault is unavailable right now; retry later"
    assert "vault-db" not in raw and "4242" not in raw
    assert "vault-db.internal" in caplog.text and PAN not in caplog.text


def test_problem_result_and_dumps_redact_too():
    result = problem_result(400, f"bad {DOTTED}", note=[{"x": PAN}])
    assert not pan.contains_pan(result["body"]) and problems.REDACTED in result["body"]
