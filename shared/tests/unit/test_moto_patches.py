"""The stack's moto server caches jsonpath_ng's parse (moto's EventBridge compiled eight JSONPath expressions per
delivery: smartpay_shared.local.moto_server). The deliveries must be the same with and without it: an SQS target
without a transformer (how every SmartPay rule delivers) and one with an InputTransformer."""

import json
import uuid
from collections import Counter
from typing import Any

import boto3
import jsonpath_ng.ext
import pytest
from moto import mock_aws

from smartpay_shared.local import moto_server


def deliveries() -> list[str]:
    run = uuid.uuid4().hex[:8]  # names of its own: another test's mock_aws may still hold its state
    with mock_aws():
        events, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        events.create_event_bus(Name=f"bus-{run}")
        bodies = []
        for name, extra in (("plain", {}), ("shaped", {"InputTransformer": {
                "InputPathsMap": {"pid": "$.detail.data.payment_id", "kind": "$.detail-type"},
                "InputTemplate": '{"payment": "<pid>", "kind": "<kind>"}'}})):
            url = sqs.create_queue(QueueName=f"{name}-{run}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name=f"{name}-{run}", EventBusName=f"bus-{run}",
                            EventPattern=json.dumps({"source": ["smartpay.payment"], "detail-type": ["payment.requested"]}))
            events.put_targets(Rule=f"{name}-{run}", EventBusName=f"bus-{run}", Targets=[{"Id": "q", "Arn": arn, **extra}])
        for i in range(3):
            events.put_events(Entries=[{"Source": "smartpay.payment", "DetailType": "payment.requested",
                                        "EventBusName": f"bus-{run}", "Time": 1_767_225_600 + i,
                                        "Detail": json.dumps({"data": {"payment_id": f"pay_{i}", "amount": 100 + i}})}])
        for name in ("plain", "shaped"):
            url = sqs.get_queue_url(QueueName=f"{name}-{run}")["QueueUrl"]
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
            for m in got:
                body = json.loads(m["Body"])
                body.pop("id", None)  # a fresh event id per PutEvents
                bodies.append(json.dumps(body, sort_keys=True))
        return sorted(bodies)


@pytest.fixture
def restore_parse(monkeypatch):
    # In-process moto: `make test` exports AWS_ENDPOINT_URL (the stack's emulator), which boto3 would follow.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    original = jsonpath_ng.ext.parse
    yield
    jsonpath_ng.ext.parse = original


def test_cached_paths_deliver_exactly_what_moto_delivers(restore_parse):
    plain = deliveries()
    assert len(plain) == 6 and any('"payment": "pay_1"' in b for b in plain)
    moto_server.cache_event_paths()
    assert jsonpath_ng.ext.parse("$.detail") is jsonpath_ng.ext.parse("$.detail")  # compiled once
    assert deliveries() == plain
    moto_server.cache_event_paths()  # idempotent: not wrapped twice
    assert not hasattr(jsonpath_ng.ext.parse.__wrapped__, "cache_info")


HOSTS = ["sqs.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com", "events.us-east-1.amazonaws.com",
         "s3.amazonaws.com", "cognito-idp.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com",
         "sqs", "moto_api", None, "nothing.example.com"]


def test_the_dispatcher_picks_the_backend_moto_picks_and_remembers_it(monkeypatch):
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    dispatcher, _ = moto_server.server_classes()
    ours, theirs = dispatcher(create_backend_app), DomainDispatcherApplication(create_backend_app)
    expected = [theirs.get_backend_for_host(h) for h in HOSTS]
    assert expected[:3] == ["sqs", "dynamodb", "events"]
    assert [ours.get_backend_for_host(h) for h in HOSTS] == expected

    def listed():
        raise AssertionError("listed moto's modules again")

    monkeypatch.setattr(backends, "list_of_moto_modules", listed)
    assert [ours.get_backend_for_host(h) for h in HOSTS] == expected  # from memory, no directory listing


def test_only_server_errors_are_logged():
    import io

    def app(environ, start_response):
        start_response(environ["PATH_INFO"].strip("/"), [])
        return [b""]

    stream = io.StringIO()
    logged = moto_server.ServerErrorLog(app, stream)
    for status in ("200 OK", "400 Bad Request", "404 Not Found", "500 Internal Server Error", "503 Unavailable"):
        logged({"PATH_INFO": f"/{status}", "REQUEST_METHOD": "POST"}, lambda *a: None)
    assert [line.split(":")[0] for line in stream.getvalue().splitlines()] == ["moto 500 Internal Server Error",
                                                                               "moto 503 Unavailable"]


def test_the_server_keeps_connections_alive_and_answers_each_request_on_them():
    """werkzeug closed the connection after every answer; cheroot keeps it: three DynamoDB calls and a stats read
    on one socket, each answered in full (the stats count the three calls)."""
    import http.client
    import socket
    import threading

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from moto.moto_server.werkzeug_app import create_backend_app

    dispatcher, _ = moto_server.server_classes()     # wsgi_app() would patch moto in this process for good
    app = moto_server.RequestStats(dispatcher(create_backend_app))
    server = moto_server.keep_alive_server(app, "127.0.0.1", port, threads=4)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        idle = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(12)]
        for c in idle:                  # more idle keep-alive connections than cheroot's default limit (10)
            c.request("GET", moto_server.STATS_PATH)
            answer = c.getresponse()
            answer.read()
            assert answer.getheader("Connection", "").lower() != "close"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        sockets = []
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables",
                   "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261206/us-east-1/dynamodb/aws4_request, "
                                    "SignedHeaders=host, Signature=x"}
        for _ in range(3):
            conn.request("POST", "/", body=b"{}", headers=headers)
            sockets.append(conn.sock)
            answer = conn.getresponse()
            assert answer.status == 200 and json.loads(answer.read()) == {"TableNames": []}
            assert answer.getheader("Connection", "").lower() != "close"
        conn.request("GET", moto_server.STATS_PATH)
        sockets.append(conn.sock)
        stats = json.loads(conn.getresponse().read())
        assert stats["DynamoDB.ListTables"]["n"] == 3
        assert len({id(s) for s in sockets}) == 1 and sockets[0] is not None
    finally:
        server.stop()


def test_a_search_domain_reports_the_processing_status_the_5x_provider_waits_for(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # in-process moto, whatever `make` exports
    moto_server.report_domain_processing_status()
    moto_server.report_domain_processing_status()  # idempotent: wraps once
    with mock_aws():
        es = boto3.client("es", region_name="us-east-1")
        es.create_elasticsearch_domain(DomainName="smartpay-search", ElasticsearchVersion="7.10")
        status = es.describe_elasticsearch_domain(DomainName="smartpay-search")["DomainStatus"]
    assert status["Processing"] is False and status["DomainProcessingStatus"] == "Active"


def queue_story() -> list:
    """What a client sees of SQS through sends, receives (redrive to a DLQ included), FIFO deduplication and
    the queue's counts, with ids, handles and clocks left out."""
    run = uuid.uuid4().hex[:8]
    seen: list = []
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName=f"dlq-{run}")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(QueueName=f"q-{run}", Attributes={
            "MessageRetentionPeriod": "120",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})["QueueUrl"]
        for i in range(4):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{i}",
                             MessageAttributes={"n": {"DataType": "Number", "StringValue": str(i)}})
        sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"b{i}"} for i in range(3)])
        counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                  "ApproximateNumberOfMessagesDelayed"]
        seen.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=counts)["Attributes"])
        for _ in range(3):  # visibility 0: every receive counts; after two the messages go to the DLQ
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                      MessageAttributeNames=["All"]).get("Messages", [])
            seen.append(sorted((m["Body"], json.dumps(m.get("MessageAttributes"), sort_keys=True)) for m in got))
        seen.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=counts)["Attributes"])
        kept = sqs.send_message(QueueUrl=url, MessageBody="kept") and sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]
        first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0)  # nothing visible
        seen.append(("visible after receive", len(first.get("Messages", []))))
        for handle in (kept[0]["ReceiptHandle"], kept[0]["ReceiptHandle"], "not-a-handle"):
            try:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
                seen.append("deleted")
            except sqs.exceptions.ReceiptHandleIsInvalid:
                seen.append("invalid handle")
        everything = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        seen.append({k: v for k, v in everything.items() if k not in ("CreatedTimestamp", "LastModifiedTimestamp")
                     and "Arn" not in k and "Redrive" not in k})
        seen.append(sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"]))
        fifo = sqs.create_queue(QueueName=f"f-{run}.fifo", Attributes={
            "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
        for body in ("same", "same", "other"):
            sqs.send_message(QueueUrl=fifo, MessageBody=body, MessageGroupId="g")
        got = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]
        seen.append([m["Body"] for m in got])
        for m in got:
            sqs.delete_message(QueueUrl=fifo, ReceiptHandle=m["ReceiptHandle"])
        seen.append(sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["All"])["Attributes"]
                    ["ApproximateNumberOfMessages"])
    for entry in seen:
        if isinstance(entry, dict):
            entry.pop("ResponseMetadata", None)
    return seen


def test_queues_answer_exactly_as_moto_does_without_counting_on_every_send(monkeypatch):
    from moto.sqs.models import Queue, SQSBackend

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name in (*moto_server.QUEUE_COUNTS, "messages", "delete_message", "_smartpay_fast_attributes"):  # undone after the test
        monkeypatch.setattr(Queue, name, getattr(Queue, name, False), raising=False)
    for name in ("send_message", "is_message_valid_based_on_retention_period", "get_queue_attributes"):
        monkeypatch.setattr(SQSBackend, name, getattr(SQSBackend, name))
    scanned: list[str] = []
    real = Queue.approximate_number_of_messages.fget
    monkeypatch.setattr(Queue, "approximate_number_of_messages",
                        property(lambda q: scanned.append(q.name.split("-")[0]) or real(q)))
    plain = queue_story()
    assert plain[0]["ApproximateNumberOfMessages"] == "7" and plain[0]["ApproximateNumberOfMessagesDelayed"] == "1"
    assert plain[-2] == ["same", "other"]  # content-based deduplication dropped the second "same"
    before, scanned[:] = Counter(scanned), []

    moto_server.fast_queue_attributes()
    moto_server.fast_queue_attributes()  # idempotent: not wrapped twice
    assert queue_story() == plain
    # What is left is moto's own price of the counts asked for (a scan per attribute built: 3 per count named,
    # 1 for All): two asks of 3 counts and All on q, one count on the DLQ, All on the FIFO queue.
    assert Counter(scanned) == {"q": 19, "dlq": 3, "f": 1}
    assert before["q"] > 19 + 7 * 3 and before["f"] > 1  # without the patch every send and receive counted


def test_remembered_action_names_answer_exactly_what_moto_answers(monkeypatch):
    import moto.core.responses as responses

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    plain = deliveries()
    monkeypatch.setattr(responses, "method_names_from_class", responses.method_names_from_class)  # restored after
    moto_server.cache_action_names()
    assert deliveries() == plain  # EventBridge, SQS: every call dispatched through the remembered names
    info = responses.method_names_from_class.cache_info()
    assert info.hits > 0 and info.misses <= info.hits  # listed once per response class, then remembered


def transaction_story() -> list:
    """Transactions as the rewards ledger writes them (conditioned puts and updates on two tables), a failing
    one after a write inside it, a repeated key and a check: every answer and the tables' final content."""
    run = uuid.uuid4().hex[:8]
    out = []
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        for name, keys in ((f"acc-{run}", [("pk", "HASH")]), (f"led-{run}", [("pk", "HASH"), ("sk", "RANGE")])):
            db.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": n, "KeyType": t} for n, t in keys],
                            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n, _ in keys])
        acc, led = f"acc-{run}", f"led-{run}"

        def put(table, item, cond=None):
            return {"Put": {"TableName": table, "Item": item, **({"ConditionExpression": cond} if cond else {})}}

        def bump(version):
            return {"Update": {"TableName": acc, "Key": {"pk": {"S": "c1"}}, "UpdateExpression": "SET v = :n",
                               "ConditionExpression": "attribute_not_exists(v) OR v = :o",
                               "ExpressionAttributeValues": {":n": {"N": str(version + 1)}, ":o": {"N": str(version)}}}}

        stories = [
            [bump(0), put(led, {"pk": {"S": "c1"}, "sk": {"S": "e1"}}, "attribute_not_exists(pk)")],
            [put(led, {"pk": {"S": "c1"}, "sk": {"S": "e2"}}, "attribute_not_exists(pk)"), bump(0)],  # stale: fails
            [bump(1), put(led, {"pk": {"S": "c1"}, "sk": {"S": "e1"}}, "attribute_not_exists(pk)")],  # e1 exists
            [bump(1), bump(1)],  # the same item twice
            [{"ConditionCheck": {"TableName": acc, "Key": {"pk": {"S": "c1"}}, "ConditionExpression": "v = :o",
                                 "ExpressionAttributeValues": {":o": {"N": "1"}}}},
             put(led, {"pk": {"S": "c1"}, "sk": {"S": "e3"}, "n": {"N": "5"}}, "attribute_not_exists(pk)")],
        ]
        for items in stories:
            try:
                db.transact_write_items(TransactItems=items)
                out.append("ok")
            except db.exceptions.ClientError as e:
                out.append(e.response["Error"]["Code"])
        for table in (acc, led):
            out.append(sorted(json.dumps(i, sort_keys=True) for i in db.scan(TableName=table)["Items"]))
    return out


def test_transactions_answer_and_write_exactly_what_moto_does_without_copying_tables(monkeypatch):
    import moto.dynamodb.models as models

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    plain = transaction_story()
    assert plain[:5] == ["ok", "TransactionCanceledException", "TransactionCanceledException",
                         "ValidationException", "ok"]
    monkeypatch.setattr(models.DynamoDBBackend, "transact_write_items", models.DynamoDBBackend.transact_write_items)
    monkeypatch.setattr(models, "copy", models.copy)
    moto_server.item_level_transactions()
    copied = []
    real = models.copy.deepcopy

    def deepcopy(value, memo=None):
        result = real(value, memo)
        if result is not value:
            copied.append(type(value).__name__)
        return result

    monkeypatch.setattr(models.copy, "deepcopy", deepcopy)
    assert transaction_story() == plain
    assert "Table" not in copied and copied  # items are copied (an update's), whole tables never


def test_the_server_exits_on_sigterm_at_once_even_with_a_long_poll_waiting(tmp_path):
    """Stacks stop moto with SIGTERM: it must not wait for an SQS long poll (up to 20 s) to end."""
    import signal
    import socket
    import subprocess
    import sys
    import threading
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "smartpay_shared.local.moto_server", "-H", "127.0.0.1",
                               "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        deadline = time.monotonic() + 60
        while True:
            try:
                url = sqs.create_queue(QueueName="long-poll")["QueueUrl"]
                break
            except Exception:
                assert time.monotonic() < deadline, "moto did not start"
                time.sleep(0.2)
        threading.Thread(target=lambda: _quietly(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20),
                         daemon=True).start()
        time.sleep(1.0)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        assert time.monotonic() - started < 5
    finally:
        server.kill()


def _quietly(call, **kwargs):
    try:
        call(**kwargs)
    except Exception:
        pass


def update_story() -> list:
    """UpdateItem as the payment repository sends it (many SETs into a map, conditional on a version, then the
    outbox REMOVE) and the errors moto answers for bad expressions: every answer and the table's final content."""
    run = uuid.uuid4().hex[:8]
    out = []
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        table = f"pay-{run}"
        db.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        key = {"pk": {"S": "p1"}}
        names = {"#v": "version", "#o": "outbox", "#e0": "e0", "#e1": "e1", "#s": "state"}
        save = "SET #s = :s, #v = :nv, a = :a, b = :a, c = :a, d = :a, #o.#e0 = :e, #o.#e1 = :e, n = n + :one"
        values = {":s": {"S": "ROUTED"}, ":a": {"S": "x"}, ":e": {"S": "env"}, ":one": {"N": "1"}}
        calls = [
            dict(UpdateExpression="SET #v = :nv, #o = :m, n = :zero, l = :l",
                 ExpressionAttributeNames={"#v": "version", "#o": "outbox"},
                 ExpressionAttributeValues={":nv": {"N": "1"}, ":m": {"M": {}}, ":zero": {"N": "0"},
                                            ":l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}}),
            *[dict(UpdateExpression=save, ConditionExpression="#v = :ev", ExpressionAttributeNames=names,
                   ExpressionAttributeValues={**values, ":nv": {"N": str(v + 1)}, ":ev": {"N": str(v)}})
              for v in (1, 2, 1)],  # the third is stale: ConditionalCheckFailedException
            dict(UpdateExpression="REMOVE #o.#e0, #o.#e1, l[0], l[2]",
                 ExpressionAttributeNames={"#o": "outbox", "#e0": "e0", "#e1": "e1"}),
            dict(UpdateExpression="ADD tags :t, n :one DELETE tags :u",  # tags twice: overlapping paths
                 ExpressionAttributeValues={":t": {"SS": ["a", "b"]}, ":one": {"N": "1"}, ":u": {"SS": ["a"]}}),
            dict(UpdateExpression="SET a = :a, b = :a, a = :a", ExpressionAttributeValues={":a": {"S": "y"}}),
            dict(UpdateExpression="SET a = :a, m.x = :a, m = :a", ExpressionAttributeValues={":a": {"S": "y"}}),
            dict(UpdateExpression="SET a = :a SET b = :a", ExpressionAttributeValues={":a": {"S": "y"}}),
            dict(UpdateExpression="REMOVE a REMOVE b"),
            # where moto's order of checks decides the answer: the first clause's duplicate, then a missing name
            dict(UpdateExpression="REMOVE c REMOVE d SET a = :a SET b = :a", ExpressionAttributeValues={":a": {"S": "y"}}),
            dict(UpdateExpression="SET #u = :a, b = :a, b = :a", ExpressionAttributeValues={":a": {"S": "y"}}),
            dict(UpdateExpression="SET pk = :a", ExpressionAttributeValues={":a": {"S": "y"}}),
            dict(UpdateExpression="SET a = :missing", ExpressionAttributeValues={":a": {"S": "y"}}),
            dict(UpdateExpression="SET a = = :a", ExpressionAttributeValues={":a": {"S": "y"}}),
            # the save as the repository sends it: its outbox entries named by event id, new in every request
            *[dict(UpdateExpression=save, ConditionExpression="#v = :ev",
                   ExpressionAttributeNames={**names, "#e0": f"ev{v}a", "#e1": f"ev{v}b"},
                   ExpressionAttributeValues={**values, ":nv": {"N": str(v + 1)}, ":ev": {"N": str(v)}})
              for v in (3, 4)],
            # one text, a whole-path name: a duplicate of `b` or not depending on its value, and again after a pass
            *[dict(UpdateExpression="SET #w = :a, b = :a", ExpressionAttributeNames={"#w": w},
                   ExpressionAttributeValues={":a": {"S": "z"}}) for w in ("b", "w1", "b", "w2")],
        ]
        for call in calls:
            try:
                got = db.update_item(TableName=table, Key=key, ReturnValues="ALL_NEW", **call)
                out.append(json.dumps(got["Attributes"], sort_keys=True))
            except db.exceptions.ClientError as e:
                out.append(f'{e.response["Error"]["Code"]}: {e.response["Error"]["Message"]}')
        out.append(json.dumps(db.get_item(TableName=table, Key=key)["Item"], sort_keys=True))
    return out


def test_update_expressions_answer_and_write_exactly_what_moto_does_validated_in_linear_time(monkeypatch):
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for cls, name in ((validators.ActionCountValidator, "traverse"), (validators.OverlappingPathsValidator, "traverse"),
                      (DepthFirstTraverser, "nodes_to_be_processed"), (DepthFirstTraverser, "process")):
        monkeypatch.setattr(cls, name, getattr(cls, name))  # undone after the test
    monkeypatch.setattr(UpdateExpressionParser, "make", UpdateExpressionParser.__dict__["make"])
    checked: list[int] = []
    real = validators.ActionCountValidator.verify_action_counts
    monkeypatch.setattr(validators.ActionCountValidator, "verify_action_counts",
                        lambda self, node: checked.append(1) or real(self, node))

    plain = update_story()
    assert '"version": {"N": "5"}' in plain[-1] and plain[3].startswith("ConditionalCheckFailedException")
    assert sum(1 for answer in plain if answer.startswith("ValidationException")) == 12
    stock_checks, checked[:] = len(checked), []

    moto_server.fast_update_validation()
    moto_server.fast_update_validation()  # idempotent: the parser is not wrapped twice
    assert update_story() == plain
    # the action-count check only at the nodes that can hold a clause, where moto checked every node of its tree
    assert len(checked) * 2 < stock_checks
    info = UpdateExpressionParser.make.cache_info()
    assert info.hits >= info.misses > 0  # each text parsed once, then remembered


def test_update_validation_reused_per_expression_answers_and_writes_exactly_what_moto_does(monkeypatch):
    """The update story (valid saves repeated with the same text, each invalid expression) with the validator's copy
    and its two pure checks reused per expression: same answers, same item as plain moto; the checks ran once per
    expression that passed them, every time for one that failed."""
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for cls, name in ((validators.ActionCountValidator, "traverse"), (validators.OverlappingPathsValidator, "traverse"),
                      (DepthFirstTraverser, "nodes_to_be_processed"), (DepthFirstTraverser, "process"),
                      (validators.UpdateExpressionValidator, "__init__"), (validators.UpdateExpressionValidator, "validate")):
        monkeypatch.setattr(cls, name, getattr(cls, name))  # undone after the test
    monkeypatch.setattr(UpdateExpressionParser, "make", UpdateExpressionParser.__dict__["make"])
    monkeypatch.setattr(validators.UpdateExpressionValidator, "_smartpay_reused", False, raising=False)
    checked: list[int] = []
    real = validators.ActionCountValidator.verify_action_counts
    monkeypatch.setattr(validators.ActionCountValidator, "verify_action_counts",
                        lambda self, node: checked.append(1) or real(self, node))

    plain = update_story()
    moto_server.fast_update_validation()
    fast = update_story()
    fast_checks, checked[:] = len(checked), []
    moto_server.reuse_update_validation()
    moto_server.reuse_update_validation()  # idempotent
    assert update_story() == fast == plain
    # the save (5 requests, one text, 3 sets of names) checked once, not five times; nothing else changes
    assert 0 < len(checked) < fast_checks
    again, checked[:] = update_story(), []
    assert again == plain and len(checked) < fast_checks  # a new run (new trees remembered) answers the same


def test_update_checks_are_reused_across_outbox_names_and_rerun_for_a_whole_path_name(monkeypatch):
    """The two pure checks are keyed by the values of the names they read: saves naming their outbox entries by a
    new event id each time (`#o.#e0`) are checked once; a whole-path name (`#w`) is checked again for each value,
    and a value that duplicates another path is refused every time, as moto refuses it."""
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for cls, name in ((validators.ActionCountValidator, "traverse"), (validators.OverlappingPathsValidator, "traverse"),
                      (DepthFirstTraverser, "nodes_to_be_processed"), (DepthFirstTraverser, "process"),
                      (validators.UpdateExpressionValidator, "__init__"), (validators.UpdateExpressionValidator, "validate")):
        monkeypatch.setattr(cls, name, getattr(cls, name))  # undone after the test
    monkeypatch.setattr(UpdateExpressionParser, "make", UpdateExpressionParser.__dict__["make"])
    monkeypatch.setattr(validators.UpdateExpressionValidator, "_smartpay_reused", False, raising=False)
    checked: list[str] = []
    real = validators.OverlappingPathsValidator.check_for_overlapping_paths
    monkeypatch.setattr(validators.OverlappingPathsValidator, "check_for_overlapping_paths",
                        lambda self, node: checked.append("x") or real(self, node))
    moto_server.fast_update_validation()
    moto_server.reuse_update_validation()
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        db.create_table(TableName="t", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        key = {"pk": {"S": "p"}}
        db.update_item(TableName="t", Key=key, UpdateExpression="SET #o = :m", ExpressionAttributeNames={"#o": "outbox"},
                       ExpressionAttributeValues={":m": {"M": {}}})

        def save(i):
            checked.clear()
            db.update_item(TableName="t", Key=key, UpdateExpression="SET #s = :s, #o.#e0 = :e, #o.#e1 = :e",
                           ExpressionAttributeNames={"#s": "state", "#o": "outbox", "#e0": f"{i}a", "#e1": f"{i}b"},
                           ExpressionAttributeValues={":s": {"S": str(i)}, ":e": {"S": "env"}})
            return len(checked)

        assert save(0) > 0 and [save(i) for i in range(1, 4)] == [0, 0, 0]
        assert len(db.get_item(TableName="t", Key=key)["Item"]["outbox"]["M"]) == 8

        def named(w):
            checked.clear()
            try:
                db.update_item(TableName="t", Key=key, UpdateExpression="SET #w = :a, b = :a",
                               ExpressionAttributeNames={"#w": w}, ExpressionAttributeValues={":a": {"S": "z"}})
                return "ok", bool(checked)
            except db.exceptions.ClientError as e:
                return e.response["Error"]["Code"], bool(checked)

        refused = ("ValidationException", True)
        assert [named(w) for w in ("b", "w1", "w1", "b", "w2")] == [refused, ("ok", True), ("ok", False), refused,
                                                                     ("ok", True)]


def test_the_reused_copy_is_a_fresh_tree_equal_to_moto_deep_copy(monkeypatch):
    """The validator gets its own tree (pickled once, loaded per request), never the remembered one, equal node for
    node to what moto's deepcopy gives."""
    import copy

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    for name in ("__init__", "validate"):
        monkeypatch.setattr(validators.UpdateExpressionValidator, name, getattr(validators.UpdateExpressionValidator, name))
    monkeypatch.setattr(validators.UpdateExpressionValidator, "_smartpay_reused", False, raising=False)
    moto_server.reuse_update_validation()
    tree = UpdateExpressionParser.make("SET #s = :s, #o.#e0 = :e, n = n + :one REMOVE #o.#e1, l[0] ADD tags :t")
    table = type("Table", (), {"table_key_attrs": [], "attr": [], "attribute_keys": []})()
    first, second = (validators.UpdateExpressionValidator(tree, {}, {}, item=None, table=table).node_to_validate
                     for _ in range(2))

    def nodes(node):  # the tree's node objects (a leaf's plain values, shared by a deep copy too, left out)
        if hasattr(node, "__dict__"):
            yield node
            for child in getattr(node, "children", None) or ():
                yield from nodes(child)

    def shape(node):  # the tree's types and plain values (other attributes, e.g. a parent link, by type only)
        if not hasattr(node, "__dict__"):
            return node
        return (type(node).__name__, {k: [shape(c) for c in v or ()] if k == "children" else
                                      v if isinstance(v, str | int | float | bool | type(None)) else type(v).__name__
                                      for k, v in sorted(vars(node).items())})

    assert first is not tree and second is not first
    assert shape(first) == shape(second) == shape(copy.deepcopy(tree)) == shape(tree)
    assert len(list(nodes(tree))) > 20
    assert not {id(n) for n in nodes(first)} & {id(n) for n in nodes(tree)}  # no node shared with the remembered tree


def test_event_patterns_answer_what_moto_answers_with_the_fast_reject(monkeypatch):
    """Every pattern against every event, moto's EventPattern with and without the fast reject: same answer each
    time (plain string fields, named filters, $or, nested detail, lists, numbers, a missing field, no pattern)."""
    from moto.events.models import EventPattern

    monkeypatch.setattr(EventPattern, "matches_event", EventPattern.matches_event)  # undone after the test
    monkeypatch.setattr(EventPattern, "_smartpay_fast_reject", False, raising=False)
    patterns = [
        {}, {"source": ["smartpay.payment"]}, {"detail-type": ["payment.completed", "payment.indexed"]},
        {"source": ["smartpay.payment"], "detail-type": ["route.selected"], "replay-name": [{"exists": False}]},
        {"source": [{"prefix": "smartpay."}]}, {"source": [{"prefix": ""}]},
        {"detail-type": ["payment.completed"], "detail": {"data": {"gateway": ["stripe"]}}},
        {"$or": [{"source": ["a"]}, {"detail-type": ["payment.completed"]}]},
        {"detail-type": ["payment.completed", {"prefix": "route."}]}, {"resources": ["arn:x"]},
        {"detail-type": [{"anything-but": "payment.completed"}]}, {"account": ["123456789012"]},
        {"detail": {"amount": [{"numeric": [">", 10]}]}}, {"detail-type": ["1"]}, {"missing": ["x"]},
        {"source": ["smartpay.payment", "smartpay.chat"], "detail-type": ["payment.indexed"]},
    ]
    events = [
        {"source": source, "detail-type": kind, "account": "123456789012", "resources": resources,
         "detail": {"data": {"gateway": gateway}, "amount": amount}, "time": 1.5}
        for source in ("smartpay.payment", "smartpay.chat", "a")
        for kind in ("payment.completed", "route.selected", "payment.indexed")
        for resources, gateway, amount in (([], "stripe", 5), (["arn:x"], "solana", 25))
    ] + [{"source": "smartpay.payment"}, {"detail-type": 1, "source": ["smartpay.payment"]},
         {"source": {"nested": "smartpay.payment"}, "detail-type": "payment.completed"}]
    plain = [[EventPattern(json.dumps(p), p).matches_event(e) for e in events] for p in patterns]
    assert any(any(row) for row in plain) and not all(all(row) for row in plain)
    moto_server.fast_event_pattern_reject()
    moto_server.fast_event_pattern_reject()  # idempotent
    assert [[EventPattern(json.dumps(p), p).matches_event(e) for e in events] for p in patterns] == plain


def item_story() -> list[bytes]:
    """moto's raw answers (the bodies as sent, byte for byte) to item reads and writes over every attribute type:
    strings with unicode, numbers, binaries and binary sets (moto's own walk), sets, nested maps and lists, empty
    ones, BOOL and NULL; projections, queries, scans, batches, transactions, ALL_OLD and ALL_NEW, the item of a
    failed condition, items just under and over the 400 KB limit and requests moto refuses."""
    from botocore.config import Config

    run = uuid.uuid4().hex[:8]
    bodies: list[bytes] = []
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1", config=Config(parameter_validation=False))
        table = f"items-{run}"
        db.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
        db.meta.events.register("before-parse.dynamodb.*",  # the table's name (this run's) masked
                                lambda response_dict, **_: bodies.append(response_dict["body"].replace(run.encode(), b"*")))
        rich = {"s": {"S": "plain"}, "u": {"S": "caf\u00e9 \u2603 \U0001f600"}, "e": {"S": ""}, "n": {"N": "-12.50"},
                "big": {"N": "123456789012345678901234567890"}, "t": {"BOOL": True}, "f": {"BOOL": False},
                "z": {"NULL": True}, "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["1", "2.5"]},
                "m": {"M": {"a": {"S": "x"}, "inner": {"M": {"deep": {"L": [{"N": "1"}, {"M": {}}, {"L": []}]}}},
                            "e": {"M": {}}}},
                "l": {"L": [{"S": "a"}, {"N": "2"}, {"NULL": True}, {"SS": ["q"]}, {"M": {"k": {"BOOL": False}}}]}}
        for i in range(3):
            db.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": f"s{i}"}, **rich})
        db.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": "s0"}, **rich, "v": {"N": "2"}},
                    ReturnValues="ALL_OLD")
        db.put_item(TableName=table, Item={"pk": {"S": "b"}, "sk": {"S": "1"}, "only": {"B": b"\x01"}})
        db.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": "s9"}, **rich,  # binaries: moto's walk
                                           "bin": {"B": b"\x00\xffraw"}, "bs": {"BS": [b"x", b"y"]}})
        key = {"pk": {"S": "p"}, "sk": {"S": "s0"}}
        db.get_item(TableName=table, Key=key)
        db.get_item(TableName=table, Key=key, ConsistentRead=True, ProjectionExpression="m.inner, l[1], #u",
                    ExpressionAttributeNames={"#u": "u"})
        db.get_item(TableName=table, Key={"pk": {"S": "missing"}, "sk": {"S": "x"}})
        db.get_item(TableName=table, Key={"pk": {"S": "b"}, "sk": {"S": "1"}})
        db.query(TableName=table, KeyConditionExpression="pk = :p AND sk > :s",
                 ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"S": "s0"}}, Limit=1)
        db.query(TableName=table, KeyConditionExpression="pk = :p", FilterExpression="n < :n",
                 ExpressionAttributeValues={":p": {"S": "p"}, ":n": {"N": "0"}}, ScanIndexForward=False)
        db.scan(TableName=table)
        db.batch_get_item(RequestItems={table: {"Keys": [key, {"pk": {"S": "p"}, "sk": {"S": "s2"}},
                                                         {"pk": {"S": "nope"}, "sk": {"S": "x"}},
                                                         {"pk": {"S": "b"}, "sk": {"S": "1"}}], "ConsistentRead": True}})
        db.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": {"S": "w"}, "sk": {"S": "1"}, "m": rich["m"]}}},
            {"DeleteRequest": {"Key": {"pk": {"S": "p"}, "sk": {"S": "s2"}}}}]})
        db.update_item(TableName=table, Key=key, ReturnValues="ALL_NEW",
                       UpdateExpression="SET m.#i.deep[0] = :x, l = list_append(l, :more) ADD ss :add REMOVE z",
                       ExpressionAttributeNames={"#i": "inner"}, ExpressionAttributeValues={":x": {"S": "new"}, ":more": {"L": [{"BOOL": True}]},
                                                  ":add": {"SS": ["c"]}})
        db.update_item(TableName=table, Key={"pk": {"S": "fresh"}, "sk": {"S": "1"}}, ReturnValues="UPDATED_NEW",
                       UpdateExpression="SET a = :a, b = :b", ExpressionAttributeValues={":a": {"N": "1"},
                                                                                          ":b": {"M": {"c": {"S": "d"}}}})
        db.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": key}},
                                             {"Get": {"TableName": table, "Key": {"pk": {"S": "w"}, "sk": {"S": "1"}}}}])
        db.delete_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "s1"}}, ReturnValues="ALL_OLD")
        filler = {f"a{i:03d}": {"S": "x" * 4000} for i in range(100)}  # ~400 KB: moto's limit is 405,000 bytes
        for extra in (4000, 5000):  # 404,4xx and 405,4xx bytes
            _quietly(db.put_item, TableName=table, Item={"pk": {"S": "big"}, "sk": {"S": str(extra)}, **filler,
                                                         "pad": {"S": "y" * extra}})
        for call in (
            dict(Item={**key, "n": {"N": "2"}}, ConditionExpression="n = :zero", ReturnValuesOnConditionCheckFailure="ALL_OLD",
                 ExpressionAttributeValues={":zero": {"N": "0"}}),
            dict(Item={**key, "bad": {"N": "not a number"}}),
            dict(Item={**key, "empty": {}}),
            dict(Item={**key, "two": {"S": "a", "N": "1"}}),
            dict(Item={**key, "emptyset": {"SS": []}}),
            dict(Item={"pk": {"S": "p"}}),
        ):
            _quietly(db.put_item, TableName=table, **call)
        _quietly(db.get_item, TableName=table, Key={"pk": {"N": "1"}, "sk": {"S": "x"}})
        _quietly(db.batch_get_item, RequestItems={table: {"Keys": [key, key]}})
        db.scan(TableName=table)
    return bodies


def test_items_answer_byte_for_byte_what_moto_answers_serialised_and_sized_in_linear_time(monkeypatch):
    from moto.core.parse import JSONParser
    from moto.core.serialize import JSONSerializer
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(JSONSerializer, "_serialize_type_map", JSONSerializer._serialize_type_map)  # undone after
    monkeypatch.setattr(JSONParser, "_parse_map", JSONParser._parse_map)
    monkeypatch.setattr(Item, "__init__", Item.__init__)
    sized: list[int] = []
    real_size = DynamoType.size
    monkeypatch.setattr(DynamoType, "size", lambda self: sized.append(1) or real_size(self))
    inserts: list[int] = []
    real_insert = LimitedSizeDict.__setitem__
    monkeypatch.setattr(LimitedSizeDict, "__setitem__", lambda self, k, v: inserts.append(1) or real_insert(self, k, v))

    plain = item_story()
    assert any(b"ItemSizeTooLarge" in body or b"Item size has exceeded" in body for body in plain)
    assert b'"B": "AP9yYXc="' in b"".join(plain)  # the binary came back base64-encoded once
    assert sum(b"ValidationException" in body for body in plain) == 5  # moto accepts the empty and two-typed values
    assert any(b"ConditionalCheckFailedException" in body and b'"Item": {' in body for body in plain)
    stock_sized, sized[:], inserts[:] = len(sized), [], []

    moto_server.fast_dynamodb_serialisation()
    moto_server.fast_dynamodb_serialisation()  # idempotent: not wrapped twice
    moto_server.linear_item_size_check()
    moto_server.linear_item_size_check()
    assert item_story() == plain
    assert len(sized) * 5 < stock_sized  # an item's size once per attribute, not once per attribute per insert
    assert inserts  # moto's own inserts still check the later writes (SET of a top-level attribute)


def test_remembered_name_conversions_answer_exactly_what_moto_answers(monkeypatch):
    import moto.core.responses as responses
    import moto.core.utils as utils
    import moto.sqs.models as sqs_models

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for module in (utils, responses, sqs_models):
        monkeypatch.setattr(module, "camelcase_to_underscores", module.camelcase_to_underscores)  # undone after
    plain = queue_story(), deliveries()
    moto_server.cache_name_conversions()
    moto_server.cache_name_conversions()
    assert (queue_story(), deliveries()) == plain
    info = sqs_models.camelcase_to_underscores.cache_info()
    assert info.hits > 10 * info.misses  # the queue's attribute names, converted once each


def query_story() -> list[str]:
    """Queries as the services send them (a partition's newest first, a key range, a page and the next, a filter,
    a count, a missing partition, an index) over a table of many partitions: every answer."""
    run = uuid.uuid4().hex[:8]
    out = []
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        table = f"log-{run}"
        db.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g")]
                        + [{"AttributeName": "n", "AttributeType": "N"}],
                        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "ALL"}}],
                        LocalSecondaryIndexes=[{"IndexName": "by_n", "KeySchema": [
                            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
                            "Projection": {"ProjectionType": "ALL"}}])
        for p in range(12):
            for i in (5, 1, 9, 3, 7, 0):
                db.put_item(TableName=table, Item={"pk": {"S": f"m#{p}"}, "sk": {"S": f"2026-12-0{i}"},
                                                   "g": {"S": f"g{(p + i) % 3}"}, "n": {"N": str(p * 10 + i)}})
        plain = f"one-{run}"
        db.create_table(TableName=plain, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        for p in range(5):
            db.put_item(TableName=plain, Item={"pk": {"S": f"k{p}"}, "v": {"N": str(p)}})
        k = {":k": {"S": "m#4"}}
        calls = [
            dict(TableName=table, KeyConditionExpression="pk = :k", ExpressionAttributeValues=k),
            dict(TableName=table, KeyConditionExpression="pk = :k", ExpressionAttributeValues=k, ScanIndexForward=False),
            dict(TableName=table, KeyConditionExpression="pk = :k AND sk BETWEEN :s AND :u",
                 ExpressionAttributeValues={**k, ":s": {"S": "2026-12-02"}, ":u": {"S": "2026-12-08"}}),
            dict(TableName=table, KeyConditionExpression="pk = :k AND begins_with(sk, :s)",
                 ExpressionAttributeValues={**k, ":s": {"S": "2026-12-0"}}, Limit=2),
            dict(TableName=table, KeyConditionExpression="pk = :k", ExpressionAttributeValues=k, Limit=2,
                 ExclusiveStartKey={"pk": {"S": "m#4"}, "sk": {"S": "2026-12-03"}}),
            dict(TableName=table, KeyConditionExpression="pk = :k", FilterExpression="n > :n",
                 ExpressionAttributeValues={**k, ":n": {"N": "44"}}),
            dict(TableName=table, KeyConditionExpression="pk = :k", ExpressionAttributeValues=k, Select="COUNT"),
            dict(TableName=table, KeyConditionExpression="pk = :k", ExpressionAttributeValues={":k": {"S": "nobody"}}),
            dict(TableName=table, IndexName="by_g", KeyConditionExpression="g = :g",
                 ExpressionAttributeValues={":g": {"S": "g1"}}),
            dict(TableName=plain, KeyConditionExpression="pk = :k", ExpressionAttributeValues={":k": {"S": "k3"}}),
            dict(TableName=table, IndexName="by_n", KeyConditionExpression="pk = :k", ExpressionAttributeValues=k,
                 ScanIndexForward=False, Limit=4),
            dict(TableName=table, IndexName="by_n", KeyConditionExpression="pk = :k AND n < :n", Limit=2,
                 ExpressionAttributeValues={**k, ":n": {"N": "47"}}, ConsistentRead=True, ScanIndexForward=False,
                 ExclusiveStartKey={"pk": {"S": "m#4"}, "n": {"N": "45"}, "sk": {"S": "2026-12-05"}}),
            dict(TableName=table, IndexName="by_n", KeyConditionExpression="pk = :k",
                 ExpressionAttributeValues={":k": {"S": "nobody"}}),
            dict(TableName=plain, KeyConditionExpression="pk = :k", ExpressionAttributeValues={":k": {"S": "k9"}}),
            dict(TableName=table, KeyConditionExpression="sk = :k", ExpressionAttributeValues=k),  # not the key
        ]
        for call in calls:
            try:
                got = db.query(**call)
                got.pop("ResponseMetadata")
                out.append(json.dumps(got, sort_keys=True))
            except db.exceptions.ClientError as e:
                out.append(f'{e.response["Error"]["Code"]}: {e.response["Error"]["Message"]}')
        out.append(json.dumps(db.scan(TableName=table)["Count"]))
    return out


def test_queries_answer_exactly_what_moto_answers_reading_their_partition_only(monkeypatch):
    from moto.dynamodb.models.table import Table

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(Table, "query", Table.query)  # undone after the test
    monkeypatch.setattr(Table, "all_items", Table.all_items)
    plain = query_story()
    assert '"Count": 6' in plain[0] and '"Count": 0' in plain[7] and '"Count": 1' in plain[9] and plain[-1] == "72"
    assert '"Count": 4' in plain[10] and '"n": {"N": "49"}' in plain[10] and '"Count": 2' in plain[11]
    assert plain[-2].startswith("ValidationException")

    moto_server.partition_queries()
    moto_server.partition_queries()  # idempotent: not wrapped twice
    listed: list[int] = []
    real = Table.all_items
    monkeypatch.setattr(Table, "all_items", lambda self: listed.append(len(r := real(self))) or r)
    assert query_story() == plain
    # the base-table and local-index queries of the big table listed one partition (6 items), never the table's 72;
    # the global index's query still lists them all
    assert listed and 72 not in listed[:8] and max(listed[:8]) == 6
    assert listed[8] == 72 and listed[9:] == [1, 6, 6, 0, 0, 72], listed  # k3, by_n (3), k9, the scan


PUT_EVENTS_PATTERNS = [
    {"source": ["smartpay.payment"]}, {"detail-type": ["payment.completed", "payment.indexed"]},
    {"source": ["smartpay.payment"], "detail-type": ["route.selected"]},
    {"source": [{"prefix": "smartpay."}], "detail-type": ["payment.completed"]},
    {"detail-type": ["payment.completed"], "detail": {"data": {"gateway": ["stripe"]}}},
    {"$or": [{"source": ["a"]}, {"detail-type": ["payment.completed"]}]},
    {"detail-type": [{"anything-but": "payment.completed"}]}, {"account": ["123456789012"]},
    {"account": ["000000000000"]}, {"region": ["us-east-1"], "detail-type": ["payment.indexed"]},
    {"region": ["eu-west-1"]}, {"version": ["0"], "source": ["smartpay.chat"]}, {"version": ["1"]},
    {"resources": ["arn:x"]}, {"detail": {"amount": [{"numeric": [">", 10]}]}}, {"missing": ["x"]},
    {"source": ["smartpay.payment", "smartpay.chat"], "detail-type": ["payment.indexed"]},
]


def put_events_story() -> list:
    """What EventBridge answers and delivers: a bus whose rules (plain strings on each top-level field, prefixes,
    $or, anything-but, nested detail, numbers, a missing field) each send to a queue of their own, one with an
    InputTransformer, and an archive; entries matching none, one or several rules, and refused ones."""
    run = uuid.uuid4().hex[:8]
    seen: list = []
    with mock_aws():
        events, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        bus = events.create_event_bus(Name=f"bus-{run}")["EventBusArn"]
        events.create_archive(ArchiveName=f"arch-{run}", EventSourceArn=bus)
        urls = []
        for i, pattern in enumerate(PUT_EVENTS_PATTERNS):
            url = sqs.create_queue(QueueName=f"r{i}-{run}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name=f"r{i}", EventBusName=f"bus-{run}", EventPattern=json.dumps(pattern))
            extra = {"InputTransformer": {"InputPathsMap": {"kind": "$.detail-type", "pid": "$.detail.data.payment_id"},
                                          "InputTemplate": '{"kind": "<kind>", "pid": "<pid>"}'}} if i == 1 else {}
            events.put_targets(Rule=f"r{i}", EventBusName=f"bus-{run}", Targets=[{"Id": "q", "Arn": arn, **extra}])
            urls.append(url)
        entries = [{"Source": source, "DetailType": kind, "EventBusName": f"bus-{run}", "Time": 1_767_225_600 + n,
                    "Resources": resources,
                    "Detail": json.dumps({"data": {"payment_id": f"pay_{n}", "gateway": gateway}, "amount": amount})}
                   for n, (source, kind, resources, gateway, amount) in enumerate(
                       (source, kind, resources, gateway, amount)
                       for source in ("smartpay.payment", "smartpay.chat", "a")
                       for kind in ("payment.completed", "route.selected", "payment.indexed")
                       for resources, gateway, amount in (([], "stripe", 5), (["arn:x"], "solana", 25)))]
        refused = [{"DetailType": "x", "Detail": "{}", "EventBusName": f"bus-{run}"},
                   {"Source": "s", "Detail": "{}", "EventBusName": f"bus-{run}"},
                   {"Source": "s", "DetailType": "x", "EventBusName": f"bus-{run}"},
                   {"Source": "s", "DetailType": "x", "Detail": "{not json", "EventBusName": f"bus-{run}"},
                   {"Source": "smartpay.payment", "DetailType": "payment.indexed", "Detail": "[1, 2]",
                    "EventBusName": f"bus-{run}", "Time": 1_767_225_600}]
        batches = [entries[i:i + 10] for i in range(0, len(entries), 10)] + [refused]
        for batch in batches:
            answer = events.put_events(Entries=batch)
            seen.append((answer["FailedEntryCount"], [sorted(e) for e in answer["Entries"]],
                         [{k: v for k, v in e.items() if k != "EventId"} for e in answer["Entries"]]))
        try:
            events.put_events(Entries=entries[:11])
        except events.exceptions.ClientError as e:
            seen.append(str(e))
        for url in urls:
            bodies = []
            while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
                for m in got:
                    body = json.loads(m["Body"])
                    body.pop("id", None)  # a fresh event id per entry
                    bodies.append(json.dumps(body, sort_keys=True))
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            seen.append(sorted(bodies))
        seen.append(events.describe_archive(ArchiveName=f"arch-{run}")["EventCount"])
    return seen


def test_put_events_answer_and_deliver_what_moto_does_skipping_rejected_rules(monkeypatch):
    from moto.events.models import EventPattern, EventsBackend, Rule

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(EventPattern, "matches_event", EventPattern.matches_event)  # undone after the test
    monkeypatch.setattr(EventPattern, "_smartpay_fast_reject", False, raising=False)
    monkeypatch.setattr(EventsBackend, "put_events", EventsBackend.put_events)
    offered: list[str] = []
    real = Rule.send_to_targets
    monkeypatch.setattr(Rule, "send_to_targets", lambda rule, event, *a, **k: offered.append(rule.name)
                        or real(rule, event, *a, **k))
    plain = put_events_story()
    deliveries = plain[-len(PUT_EVENTS_PATTERNS) - 1:-1]
    assert sum(map(len, deliveries)) > len(PUT_EVENTS_PATTERNS) and all(deliveries[:3]) and not deliveries[12]
    assert plain[len(plain) - len(PUT_EVENTS_PATTERNS) - 2].startswith("An error occurred (ValidationException)")
    assert plain[-1] > 0 and plain[2][0] == 4  # the archive holds events; four entries refused
    before, offered[:] = Counter(offered), []

    moto_server.fast_put_events()
    moto_server.fast_put_events()  # idempotent
    assert getattr(EventsBackend.put_events, "smartpay_fast", False)
    assert put_events_story() == plain
    after = Counter(offered)  # a rule rejected on a plain top-level string got no message
    assert not after["r8"] and not after["r10"] and not after["r12"] and after["r7"] == before["r7"]
    assert after["r2"] < after["r0"] < before["r0"] and sum(after.values()) < 0.6 * sum(before.values())


def test_receipt_handles_and_request_ids_are_moto_s_own_letters_from_the_same_draws(monkeypatch):
    """A seeded moto answers the same receipt handles and random strings (request ids: 52 letters and digits) with
    and without the patch, and leaves its generator in the same state (the ids drawn after are the same too); the
    queue story is unchanged."""
    import moto.sqs.models as sqs_models
    import moto.sqs.utils as sqs_utils
    from moto.moto_api._internal import mock_random
    from moto.moto_api._internal.moto_random import MotoRandom

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(sqs_models, "generate_receipt_handle", sqs_models.generate_receipt_handle)
    monkeypatch.setattr(sqs_utils, "generate_receipt_handle", sqs_utils.generate_receipt_handle)
    monkeypatch.setattr(MotoRandom, "get_random_string", MotoRandom.get_random_string)

    def draws() -> tuple[list[str], list[str], tuple, list[str]]:
        mock_random.seed(20261207)
        handles = [sqs_models.generate_receipt_handle() for _ in range(300)]
        strings = [mock_random.get_random_string(length, digits, lower) for length in (0, 1, 20, 52, 300)
                   for digits in (True, False) for lower in (False, True)]
        state = mock_random.getstate()
        with mock_aws():  # a real receive: its handle, and the message id drawn after it
            sqs = boto3.client("sqs", region_name="us-east-1")
            url = sqs.create_queue(QueueName=f"h-{uuid.uuid4().hex[:8]}")["QueueUrl"]
            mock_random.seed(7)
            sqs.send_message(QueueUrl=url, MessageBody="a")
            received = sqs.receive_message(QueueUrl=url)
            after = sqs.send_message(QueueUrl=url, MessageBody="b")["MessageId"]
        return handles, strings, state, [received["Messages"][0]["ReceiptHandle"],
                                         received["ResponseMetadata"]["RequestId"], after]

    plain = draws()
    assert len(set(plain[0])) == 300 and all(len(h) == 185 and h.isalpha() and h.islower() for h in plain[0])
    assert any(c.isdigit() for c in "".join(plain[1])) and len(plain[3][1]) == 52
    story = queue_story()
    moto_server.fast_random_strings()
    moto_server.fast_random_strings()  # idempotent
    assert sqs_models.generate_receipt_handle is moto_server._receipt_handle
    assert draws() == plain
    assert queue_story() == story


def json_calls_story(json_direct: bool, run: str) -> list:
    """Status, headers and body of JSON-protocol calls straight into the dispatcher (DynamoDB, SQS, EventBridge: a
    write, reads, a failed condition, a refused request, an unknown operation, a body that is not JSON, and one
    call with an Origin header, which always goes through Flask), the run's names and moto's random ids masked."""
    import re

    from moto.moto_server.werkzeug_app import create_backend_app
    from werkzeug.test import Client

    dispatcher, _ = moto_server.server_classes()
    app = dispatcher(create_backend_app)
    app.json_direct = json_direct
    client = Client(app)
    random_ids = re.compile(r'("(?:MessageId|ReceiptHandle|EventId|MD5OfMessageSystemAttributes)": ")[^"]+"')
    story = []

    def call(service: str, target: str, body: Any, **headers: str) -> dict:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            answer = client.post("/", data=data, headers={
                "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target, **headers,
                "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/{service}/aws4_request, "
                                 "SignedHeaders=host, Signature=x"})
        except Exception as e:  # noqa: BLE001 - moto raised: the server answers 500 (Flask propagates it too)
            story.append((target, "raised", [], type(e).__name__))
            return {}
        shown = random_ids.sub(r'\1*"', answer.get_data(as_text=True).replace(run, "*"))
        shown = re.sub(r"\d{10,}(\.\d+)?", "<time>", shown)  # creation times, timestamps
        kept = [(k, v.replace(run, "*")) for k, v in answer.headers.items()
                if k.lower() not in ("x-amzn-requestid", "x-amz-crc32", "content-length")]
        story.append((target, answer.status, kept, shown))
        return json.loads(answer.get_data() or b"null") if answer.status_code < 500 else {}

    table, ddb = f"t-{run}", "DynamoDB_20120810."
    call("dynamodb", ddb + "CreateTable", {"TableName": table, "BillingMode": "PAY_PER_REQUEST",
                                           "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                           "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    call("dynamodb", ddb + "PutItem", {"TableName": table, "Item": {"pk": {"S": "a"}, "v": {"N": "1"}}})
    call("dynamodb", ddb + "GetItem", {"TableName": table, "Key": {"pk": {"S": "a"}}})
    call("dynamodb", ddb + "UpdateItem", {"TableName": table, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :n",
                                          "ConditionExpression": "v = :old", "ReturnValues": "ALL_NEW",
                                          "ExpressionAttributeValues": {":n": {"N": "2"}, ":old": {"N": "7"}}})
    call("dynamodb", ddb + "GetItem", {"TableName": f"missing-{run}", "Key": {"pk": {"S": "a"}}})
    call("dynamodb", ddb + "NoSuchOperation", {})
    call("dynamodb", ddb + "PutItem", b"{not json")
    call("dynamodb", ddb + "GetItem", {"TableName": table, "Key": {"pk": {"S": "a"}}}, Origin="http://localhost:3000")
    queue = call("sqs", "AmazonSQS.CreateQueue", {"QueueName": f"q-{run}"})["QueueUrl"]
    call("sqs", "AmazonSQS.SendMessage", {"QueueUrl": queue, "MessageBody": "caf\u00e9"})
    call("sqs", "AmazonSQS.ReceiveMessage", {"QueueUrl": queue, "MaxNumberOfMessages": 1,
                                             "MessageSystemAttributeNames": ["SenderId"]})
    call("sqs", "AmazonSQS.GetQueueUrl", {"QueueName": f"missing-{run}"})
    bus = f"bus-{run}"
    call("events", "AWSEvents.CreateEventBus", {"Name": bus})
    call("events", "AWSEvents.PutEvents", {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}",
                                                        "EventBusName": bus}]})
    return story


def test_json_calls_skip_flask_and_answer_exactly_what_flask_answers():
    """`call_json_view` (JSON-protocol calls without Flask) answers every call as moto's Flask app does: status,
    headers (flask-cors' included) and body, errors too; a call with an Origin header still goes through Flask."""
    through_flask = json_calls_story(False, uuid.uuid4().hex[:8])
    direct = json_calls_story(True, uuid.uuid4().hex[:8])
    answered = [(status, headers, body) for _, status, headers, body in through_flask if status != "raised"]
    assert [status for status, _, _ in answered].count("200 OK") >= 9
    assert any(status.startswith("400") and "ConditionalCheckFailed" in body for status, _, body in answered)
    allowed = [dict(headers).get("Access-Control-Allow-Origin") for _, headers, _ in answered]
    assert allowed.count("*") == len(answered) - 1 and "http://localhost:3000" in allowed  # flask-cors' answers
    assert direct == through_flask, [(a, b) for a, b in zip(direct, through_flask) if a != b]


def test_only_sdk_json_calls_take_the_direct_path():
    sdk = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.GetItem"}
    assert moto_server.is_json_protocol(sdk)
    assert not moto_server.is_json_protocol({**sdk, "HTTP_ORIGIN": "http://localhost:3000"})  # a browser: CORS
    assert not moto_server.is_json_protocol({**sdk, "REQUEST_METHOD": "GET"})
    assert not moto_server.is_json_protocol({**sdk, "PATH_INFO": "/2015-03-31/functions"})  # a REST call
    assert not moto_server.is_json_protocol({k: v for k, v in sdk.items() if k != "HTTP_X_AMZ_TARGET"})  # query


def return_values_story() -> list[bytes]:
    """moto's raw answers (bodies as sent) to updates under every ReturnValues: of a stored item, of a new one, a
    failed condition (with and without ReturnValuesOnConditionCheckFailure), a missing table, an invalid
    ReturnValues; then the stored items."""
    from botocore.config import Config

    run = uuid.uuid4().hex[:8]
    bodies: list[bytes] = []
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1", config=Config(parameter_validation=False))
        table = f"rv-{run}"
        db.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        db.meta.events.register("before-parse.dynamodb.*",
                                lambda response_dict, **_: bodies.append(response_dict["body"].replace(run.encode(), b"*")))
        db.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"N": "1"}, "o": {"M": {"e": {"S": "env"}}},
                                           "keep": {"SS": ["x"]}})
        for i, mode in enumerate(("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW", None)):
            extra = {} if mode is None else {"ReturnValues": mode}
            db.update_item(TableName=table, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :n, o.#e = :e REMOVE gone",
                           ConditionExpression="v = :old", ExpressionAttributeNames={"#e": f"e{i}"},
                           ExpressionAttributeValues={":n": {"N": str(i + 2)}, ":old": {"N": str(i + 1)},
                                                      ":e": {"S": f"env{i}"}}, **extra)
            db.update_item(TableName=table, Key={"pk": {"S": f"new{i}"}}, UpdateExpression="SET v = :n",
                           ExpressionAttributeValues={":n": {"N": "1"}}, **extra)
            for failure in ({}, {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}):
                _quietly(db.update_item, TableName=table, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :n",
                         ConditionExpression="v = :old", ExpressionAttributeValues={":n": {"N": "0"}, ":old": {"N": "0"}},
                         **extra, **failure)
            _quietly(db.update_item, TableName=f"missing-{run}", Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :n",
                     ExpressionAttributeValues={":n": {"N": "0"}}, **extra)
        _quietly(db.update_item, TableName=table, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :n",
                 ExpressionAttributeValues={":n": {"N": "0"}}, ReturnValues="EVERYTHING")
        db.scan(TableName=table)
    return bodies


def test_updates_without_return_values_skip_moto_s_copy_and_answer_what_moto_answers(monkeypatch):
    """`lean_update_answers`: byte for byte the same answers and items under every ReturnValues; moto's handler
    copies the stored item only for the updates that answer with old values."""
    from moto.dynamodb import responses

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(responses, "copy", responses.copy)  # both undone after the test
    monkeypatch.setattr(responses.DynamoHandler, "update_item", responses.DynamoHandler.update_item)
    copies: list[Any] = []
    real = responses.copy.deepcopy
    monkeypatch.setattr(responses.copy, "deepcopy", lambda value, memo=None: copies.append(value) or real(value, memo))

    plain = return_values_story()
    assert sum(b"ConditionalCheckFailed" in body for body in plain) == 12
    assert any(b'"Attributes"' in body for body in plain) and any(b"ResourceNotFound" in body for body in plain)
    stock, copies[:] = len(copies), []

    moto_server.lean_update_answers()
    moto_server.lean_update_answers()  # idempotent: not wrapped twice
    assert return_values_story() == plain
    # the copies moto still makes: the updates with ReturnValues other than NONE (4 modes x 4 updates that reach it)
    assert 0 < len(copies) < stock
