"""An SDK's retry of a write the emulator already carried out gets the first answer (moto_server.ReplayRetries):
the provider's retry of a CreateFunction / CreateTable whose answer was lost met "already exists" and failed the
apply. Against the stack's own moto server, with the headers every AWS SDK sends."""

import base64
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


def test_a_retried_create_table_gets_the_first_answer_and_a_new_call_still_conflicts(aws, moto_server):
    invocation = str(uuid.uuid4())
    first = create_table(moto_server.url, invocation, 1)
    assert first.status_code == 200, first.text
    retry = create_table(moto_server.url, invocation, 2)  # the same operation: its answer was lost
    assert retry.status_code == 200 and retry.json() == first.json()
    again = create_table(moto_server.url, str(uuid.uuid4()), 1)  # another call: the table exists
    assert again.status_code == 400 and "ResourceInUseException" in again.text
    late = create_table(moto_server.url, invocation, 1)  # a late copy of attempt 1 (a call has its own id)
    assert late.status_code == 200 and late.json() == first.json()


def test_a_retry_of_a_failed_answer_is_carried_out_again(aws, moto_server):
    create_table(moto_server.url, str(uuid.uuid4()), 1, name="exists")
    invocation = str(uuid.uuid4())
    assert create_table(moto_server.url, invocation, 1, name="exists").status_code == 400
    assert create_table(moto_server.url, invocation, 2, name="exists").status_code == 400  # no 4xx kept


def test_a_retried_create_function_with_publish_gets_the_first_answer(aws, moto_server):
    role = aws("iam").create_role(RoleName="retried", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("h.py", "def h(event, context):\n    return 1\n")
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
    for _ in range(500):
        if calls:
            break
        threading.Event().wait(0.01)
    second = threading.Thread(target=call, args=(2,))
    second.start()
    threading.Event().wait(0.2)
    release.set()
    first.join(10)
    second.join(10)
    assert calls == ["attempt=1; max=3"] and answers == {1: b'{"n": 1}', 2: b'{"n": 1}'} and app.replayed == 1


def test_an_attempt_that_outlived_the_wait_does_not_free_a_later_attempts_turn():
    """Attempt 1 hangs past the wait: attempt 2 is carried out; attempt 1 then fails; attempt 3 still waits for
    attempt 2 (the one being answered) and gets its answer, instead of running beside it."""
    from smartpay_shared.local.moto_server import ReplayRetries

    gates = {1: threading.Event(), 2: threading.Event()}
    calls = []

    def app(environ, start_response):
        attempt = int(environ["HTTP_AMZ_SDK_REQUEST"].split("=")[1][0])
        calls.append(attempt)
        gates.get(attempt, threading.Event()).wait(5)
        start_response("500 Internal Server Error" if attempt == 1 else "200 OK", [])
        return [b"attempt %d" % attempt]

    replay, answers = ReplayRetries(app, stream=io.StringIO(), wait_seconds=1.0), {}

    def call(attempt):
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/x", "HTTP_AMZ_SDK_INVOCATION_ID": "inv-2",
                   "HTTP_AMZ_SDK_REQUEST": f"attempt={attempt}; max=3"}
        answers[attempt] = b"".join(replay(environ, lambda status, headers, exc_info=None: None))

    threads = {n: threading.Thread(target=call, args=(n,)) for n in (1, 2, 3)}
    threads[1].start()
    threading.Event().wait(0.1)
    threads[2].start()  # waits 1 s for attempt 1, then carries it out
    threading.Event().wait(1.6)
    gates[1].set()  # attempt 1 ends with a 500 while attempt 2 runs
    threads[1].join(5)
    threads[3].start()  # attempt 2 still runs: attempt 3 waits for it
    threading.Event().wait(0.1)
    gates[2].set()
    for thread in threads.values():
        thread.join(5)
    assert calls == [1, 2] and answers == {1: b"attempt 1", 2: b"attempt 2", 3: b"attempt 2"}
