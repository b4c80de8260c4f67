"""Idempotency records of POST /pay: (merchant, Idempotency-Key) -> body hash, payment id, response."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError


class IdempotencyMismatch(Exception):
    """The key was used before with a different body (HTTP 409)."""


@dataclass(frozen=True)
class IdempotencyRecord:
    payment_id: str
    body_hash: str
    response: dict | None  # None while the first request is still in progress (and for POST /pay: see payments.py)
    claimed: bool = False  # this call created the record (no earlier request with the key: nothing to read)


def body_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class DynamoIdempotencyStore:
    def __init__(self, dynamodb_client: Any, table: str, ttl_seconds: int):
        self._db = dynamodb_client
        self._table = table
        self._ttl = ttl_seconds

    @staticmethod
    def _key(merchant_id: str, key: str) -> dict:
        # Scoped by merchant: two merchants may pick the same key without meeting.
        return {"idempotency_key": {"S": f"{merchant_id}#{key}"}}

    def claim(self, merchant_id: str, key: str, digest: str, payment_id: str) -> IdempotencyRecord:
        """Claim the key for `payment_id`, or return the record of whoever claimed it first."""
        item = {**self._key(merchant_id, key), "body_hash": {"S": digest}, "payment_id": {"S": payment_id},
                "merchant_id": {"S": merchant_id}, "expires_at": {"N": str(int(time.time()) + self._ttl)}}
        try:
            self._db.put_item(TableName=self._table, Item=item,
                              ConditionExpression="attribute_not_exists(idempotency_key) OR expires_at < :now",
                              ExpressionAttributeValues={":now": {"N": str(int(time.time()))}})
            return IdempotencyRecord(payment_id, digest, None, claimed=True)
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        found = self._db.get_item(TableName=self._table, Key=self._key(merchant_id, key),
                                  ConsistentRead=True)["Item"]
        record = IdempotencyRecord(found["payment_id"]["S"], found["body_hash"]["S"],
                                   json.loads(found["response"]["S"]) if "response" in found else None)
        if record.body_hash != digest:
            raise IdempotencyMismatch(f"Idempotency-Key {key!r} was used with a different request body")
        return record

    def complete(self, merchant_id: str, key: str, response: dict) -> None:
        self._db.update_item(TableName=self._table, Key=self._key(merchant_id, key),
                             UpdateExpression="SET #r = :r", ExpressionAttributeNames={"#r": "response"},
                             ExpressionAttributeValues={":r": {"S": json.dumps(response)}})
