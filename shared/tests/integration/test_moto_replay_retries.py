"""An SDK's retry of a write the emulator already carried out gets the first answer (moto_server.ReplayRetries):
the provider's retry of a CreateFunction / CreateTable whose answer was lost met "already exists" and failed the
apply. Against the stack's own moto server, with the headers every AWS SDK sends."""

import io
import json
import threading
import uuid
import zipfile

import requests

AUTH = "AWS4-HMAC-SHA256 Credential=testing/20261207/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x"


def create_table(url, invocation, attempt, name="retried"):
    return requests.post(url, data=json.dumps({
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}), headers={
        "X-Amz-Target": "DynamoDB_20120810.CreateTable", "Content-Type": "application/x-amz-json-1.0",
        "Authorization": AUTH.format(service="dynamodb"), "amz-sdk-invocation-id": invocation,
        "amz-sdk-request": f"attempt={attempt}; max=3"}, timeout=30)


def test_a_retried_create_table_gets_the_first_answer_and_a_new_call_still_conflicts(moto_server):
    invocation = str(uuid.uuid4())
    first = create_table(moto_server.url, invocation, 1)
    assert first.status_code == 200, first.text
    retry = create_table(moto_server.url, invocation, 2)  # the same operation: its answer was lost
    assert retry.status_code == 200 and retry.json() == first.json()
    again = create_table(moto_server.url, str(uuid.uuid4()), 1)  # another call: the table exists
    assert again.status_code == 400 and "ResourceInUseException" in again.text
    same_id_first_attempt = create_table(moto_server.url, invocation, 1)  # not a retry: carried out
    assert same_id_first_attempt.status_code == 400


def test_a_retry_of_a_failed_answer_is_carried_out_again(moto_server):
    create_table(moto_server.url, str(uuid.uuid4()), 1, name="exists")
    invocation = str(uuid.uuid4())
    assert create_table(moto_server.url, invocation, 1, name="exists").status_code == 400
    assert create_table(moto_server.url, invocation, 2, name="exists").status_code == 400  # no 4xx kept


def test_a_retried_create_function_with_publish_gets_the_first_answer(aws, moto_server):
    role = aws("iam").create_role(RoleName="retried", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("h.py", "def h(event, context):\n    return 1\n")
    import base64

    body = json.dumps({"FunctionName": "retried", "Runtime": "python3.11", "Role": role, "Handler": "h.h",
                       "Publish": True, "Code": {"ZipFile": base64.b64encode(buf.getvalue()).decode()}})
    invocation = str(uuid.uuid4())

    def create(attempt, inv=invocation):
        return requests.post(f"{moto_server.url}/2015-03-31/functions", data=body, headers={
            "Content-Type": "application/json", "Authorization": AUTH.format(service="lambda"),
            "amz-sdk-invocation-id": inv, "amz-sdk-request": f"attempt={attempt}; max=3"}, timeout=30)

    first = create(1)
    assert first.status_code == 201, first.text
    retry = create(2)
    assert retry.status_code == 201 and retry.json()["Version"] == first.json()["Version"] == "1"
    assert [v["Version"] for v in aws("lambda").list_versions_by_function(FunctionName="retried")["Versions"]] \
        == ["$LATEST", "1"]  # carried out once
    assert create(1, str(uuid.uuid4())).status_code == 409


def test_a_retry_arriving_while_the_first_attempt_is_answered_waits_for_its_answer():
    from smartpay_shared.local.moto_server import ReplayRetries

    release, calls = threading.Event(), []

    def slow_app(environ, start_response):
        calls.append(environ["HTTP_AMZ_SDK_REQUEST"])
        release.wait(5)
        start_response("201 Created", [("Content-Type", "application/json")])
        return [b'{"n": %d}' % len(calls)]

    app, answers = ReplayRetries(slow_app, stream=io.StringIO()), {}

    def call(attempt):
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/x", "HTTP_AMZ_SDK_INVOCATION_ID": "inv-1",
                   "HTTP_AMZ_SDK_REQUEST": f"attempt={attempt}; max=3"}
        answers[attempt] = b"".join(app(environ, lambda status, headers, exc_info=None: None))

    first = threading.Thread(target=call, args=(1,))
    first.start()
    while not calls:
        threading.Event().wait(0.01)
    second = threading.Thread(target=call, args=(2,))
    second.start()
    threading.Event().wait(0.2)
    release.set()
    first.join(10)
    second.join(10)
    assert calls == ["attempt=1; max=3"] and answers == {1: b'{"n": 1}', 2: b'{"n": 1}'} and app.replayed == 1
