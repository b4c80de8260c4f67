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
