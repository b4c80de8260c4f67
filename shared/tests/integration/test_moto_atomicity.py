"""DynamoDB's conditional writes are atomic on the project's moto server (smartpay_shared.local.
moto_server): of many concurrent UpdateItems that all expect the same version, exactly one wins. Plain
moto serves each request on its own thread without a lock and let several win (the payment saga
charged twice when three deliveries of one route raced)."""

import threading

import boto3
import pytest
from botocore.exceptions import ClientError

from smartpay_shared.testing import MotoServer

pytestmark = pytest.mark.integration
ROUNDS, WRITERS = 20, 12


def test_of_concurrent_conditional_writes_on_one_version_exactly_one_wins():
    with MotoServer() as moto:
        db = boto3.client("dynamodb", endpoint_url=moto.url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        db.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        for n in range(ROUNDS):
            key = {"id": {"S": f"item-{n}"}}
            db.put_item(TableName="t", Item={**key, "v": {"N": "0"}})
            wins, barrier = [], threading.Barrier(WRITERS)

            def writer(who: int) -> None:
                barrier.wait()
                try:
                    db.update_item(TableName="t", Key=key, UpdateExpression="SET v = :n, w = :w",
                                   ConditionExpression="v = :e", ExpressionAttributeValues={
                                       ":n": {"N": "1"}, ":e": {"N": "0"}, ":w": {"N": str(who)}})
                    wins.append(who)
                except ClientError as e:
                    assert e.response["Error"]["Code"] == "ConditionalCheckFailedException"

            threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(wins) == 1, wins
            assert db.get_item(TableName="t", Key=key)["Item"]["w"]["N"] == str(wins[0])


def test_the_server_counts_what_it_answers_per_action():
    """GET /_smartpay/requests: per API action, requests served and seconds spent (what bench_saga reads
    to replay a saga's exact call mix and to see where the emulator's time goes)."""
    import requests

    with MotoServer() as moto:
        kw = dict(endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="testing",
                  aws_secret_access_key="testing")
        sqs = boto3.client("sqs", **kw)
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        for i in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=str(i))
        boto3.client("s3", **kw).list_buckets()
        stats = requests.get(moto.url + "/_smartpay/requests", timeout=5).json()
    assert stats["AmazonSQS.SendMessage"]["n"] == 3 and stats["AmazonSQS.CreateQueue"]["n"] == 1
    assert stats["AmazonSQS.SendMessage"]["seconds"] > 0
    assert stats["GET /"]["n"] == 1  # a REST call: method and first path segment (S3 ListBuckets)


def test_writes_of_different_items_run_side_by_side_and_scans_stay_whole():
    """Item locks, not one lock: 8 writers on 8 items each make 25 conditional writes that all win;
    meanwhile new items are put and the table is scanned again and again without an error (moto's scan
    iterates the table's dict, which a concurrent insert would change under it)."""
    with MotoServer() as moto:
        db = boto3.client("dynamodb", endpoint_url=moto.url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        db.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        errors, scans = [], []

        def writer(who: int) -> None:
            key = {"id": {"S": f"item-{who}"}}
            db.put_item(TableName="t", Item={**key, "v": {"N": "0"}})
            for v in range(25):
                try:
                    db.update_item(TableName="t", Key=key, UpdateExpression="SET v = :n", ConditionExpression="v = :e",
                                   ExpressionAttributeValues={":n": {"N": str(v + 1)}, ":e": {"N": str(v)}})
                    db.put_item(TableName="t", Item={"id": {"S": f"new-{who}-{v}"}, "v": {"N": "0"}})
                except ClientError as e:
                    errors.append(e.response["Error"]["Code"])

        def scanner() -> None:
            for _ in range(30):
                try:
                    scans.append(db.scan(TableName="t")["Count"])
                except ClientError as e:
                    errors.append(e.response["Error"]["Code"])

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)] + [threading.Thread(target=scanner)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert all(db.get_item(TableName="t", Key={"id": {"S": f"item-{w}"}})["Item"]["v"]["N"] == "25" for w in range(8))
        assert len(scans) == 30 and db.scan(TableName="t")["Count"] == 8 + 8 * 25


def test_concurrent_transactions_and_single_writes_on_one_version_exactly_one_wins():
    # TransactWriteItems takes its items' locks (not the whole server's): racing a conditional UpdateItem of the
    # same item, exactly one of all the writers wins, and a losing transaction leaves none of its writes.
    with MotoServer() as moto:
        db = boto3.client("dynamodb", endpoint_url=moto.url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        for name in ("acc", "led"):
            db.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        for n in range(ROUNDS // 2):
            key = {"id": {"S": f"acc-{n}"}}
            db.put_item(TableName="acc", Item={**key, "v": {"N": "0"}})
            wins, barrier = [], threading.Barrier(WRITERS)
            update = {"TableName": "acc", "Key": key, "UpdateExpression": "SET v = :n, w = :w",
                      "ConditionExpression": "v = :e"}

            def writer(who: int) -> None:
                values = {":n": {"N": "1"}, ":e": {"N": "0"}, ":w": {"N": str(who)}}
                barrier.wait()
                try:
                    if who % 2:
                        db.update_item(**update, ExpressionAttributeValues=values)
                    else:
                        db.transact_write_items(TransactItems=[
                            {"Update": {**update, "ExpressionAttributeValues": values}},
                            {"Put": {"TableName": "led", "Item": {"id": {"S": f"entry-{n}-{who}"}}}}])
                    wins.append(who)
                except ClientError as e:
                    assert e.response["Error"]["Code"] in ("ConditionalCheckFailedException",
                                                           "TransactionCanceledException")

            threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(wins) == 1, wins
            assert db.get_item(TableName="acc", Key=key)["Item"]["w"]["N"] == str(wins[0])
            entries = {i["id"]["S"] for i in db.scan(TableName="led")["Items"] if i["id"]["S"].startswith(f"entry-{n}-")}
            assert entries == ({f"entry-{n}-{wins[0]}"} if wins[0] % 2 == 0 else set()), entries


def test_concurrent_batch_reads_and_writes_see_whole_items_and_never_deadlock():
    """BatchGetItem and BatchWriteItem take their items' locks (not the whole server): racing conditional
    UpdateItems, TransactWriteItems and Queries on the same items (two tables, keys in every order), every item
    a batch reads is one whole write (its two attributes written together agree, versions never go back), no
    write is lost, and every thread finishes."""
    with MotoServer() as moto:
        db = boto3.client("dynamodb", endpoint_url=moto.url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        for name in ("a", "b"):
            db.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
        items = [("a", f"i{n}") for n in range(6)] + [("b", f"i{n}") for n in range(6)]
        filler = {f"f{k}": {"S": "x" * 50} for k in range(40)}  # a copy of an item takes a while: wider windows
        for table, pk in items:
            db.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": "0"}, "v": {"N": "0"}, "w": {"N": "0"}, **filler})
        spread = ", ".join(f"f{k} = :x" for k in range(40))
        errors, wins, reads = [], {item: 0 for item in items}, [0]
        stop = threading.Event()

        def key(pk: str) -> dict:
            return {"pk": {"S": pk}, "sk": {"S": "0"}}

        def writer(who: int) -> None:  # conditional read-modify-write of v and w together
            for step in range(30):
                table, pk = items[(who * 7 + step * 5) % len(items)]
                try:
                    got = db.get_item(TableName=table, Key=key(pk), ConsistentRead=True)["Item"]
                    v = int(got["v"]["N"])
                    update = {"TableName": table, "Key": key(pk), "ConditionExpression": "v = :e",
                              "UpdateExpression": f"SET v = :n, {spread}, w = :n",  # v and w far apart
                              "ExpressionAttributeValues": {":n": {"N": str(v + 1)}, ":e": {"N": str(v)},
                                                            ":x": {"S": "y" * 50}}}
                    if step % 3 == 2:  # a transaction over both tables, items named in the reverse order
                        other = items[(items.index((table, pk)) + 6) % len(items)]
                        db.transact_write_items(TransactItems=[
                            {"ConditionCheck": {"TableName": other[0], "Key": key(other[1]),
                                                "ConditionExpression": "attribute_exists(pk)"}},
                            {"Update": update}])
                    else:
                        db.update_item(**update)
                    wins[(table, pk)] += 1
                except ClientError as e:
                    if e.response["Error"]["Code"] not in ("ConditionalCheckFailedException",
                                                           "TransactionCanceledException"):
                        errors.append(e.response["Error"]["Code"])

        def batch_reader(who: int) -> None:
            seen: dict[tuple[str, str], int] = {}
            while not stop.is_set():
                order = items[who:] + items[:who]  # every reader names the keys in another order
                asked: dict = {}
                for table, pk in order:
                    asked.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"].append(key(pk))
                try:
                    got = db.batch_get_item(RequestItems=asked)
                except ClientError as e:
                    errors.append(e.response["Error"]["Code"])
                    continue
                assert not got.get("UnprocessedKeys")
                for table, found in got["Responses"].items():
                    for item in found:
                        v, w = int(item["v"]["N"]), int(item["w"]["N"])
                        if v != w:
                            errors.append(f"torn read {table}/{item['pk']['S']}: v={v} w={w}")
                        if v < seen.get((table, item["pk"]["S"]), 0):
                            errors.append(f"went back {table}/{item['pk']['S']}")
                        seen[(table, item["pk"]["S"])] = v
                reads[0] += 1

        def batch_writer() -> None:  # side items of both tables, written and deleted in batches (moto refuses one
            # key in two tables of a batch as a duplicate: each table's keys are its own)
            for n in range(20):
                try:
                    db.batch_write_item(RequestItems={t: [
                        {"PutRequest": {"Item": {"pk": {"S": f"i{n % 6}"}, "sk": {"S": f"side-{t}{n}"}, **filler}}},
                        {"DeleteRequest": {"Key": {"pk": {"S": f"i{(n + 3) % 6}"}, "sk": {"S": f"side-{t}{n - 1}"}}}}]
                        for t in ("b", "a")})
                    db.query(TableName="a", KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": f"i{n % 6}"}})
                except ClientError as e:
                    errors.append(e.response["Error"]["Code"])

        workers = [threading.Thread(target=writer, args=(w,)) for w in range(6)] + [threading.Thread(target=batch_writer)]
        readers = [threading.Thread(target=batch_reader, args=(r,)) for r in range(4)]
        for t in workers + readers:
            t.start()
        for t in workers:
            t.join(timeout=120)
        stop.set()
        for t in readers:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in workers + readers), "a request never finished (deadlock)"
        assert errors == []
        assert reads[0] > 0
        for (table, pk), won in wins.items():  # no write lost: the version is the number of wins
            got = db.get_item(TableName=table, Key=key(pk))["Item"]
            assert int(got["v"]["N"]) == int(got["w"]["N"]) == won
