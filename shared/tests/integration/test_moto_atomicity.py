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
