"""Challenge stores: DynamoDB (one item per challenge, key merchant_id + nonce, consumed by a conditional
update, expired items removed by the table's TTL attribute `expires_at`) and an in-memory one for unit tests."""

from __future__ import annotations

import threading
from typing import Any

from smartpay_rewards.chain.ports import Challenge, ChallengeStore


class InMemoryChallengeStore(ChallengeStore):
    def __init__(self):
        self._items: dict[tuple[str, str], tuple[Challenge, bool]] = {}
        self._lock = threading.Lock()

    def put(self, challenge: Challenge) -> None:
        self._items[(challenge.merchant_id, challenge.nonce)] = (challenge, False)

    def get(self, merchant_id: str, nonce: str) -> Challenge | None:
        found = self._items.get((merchant_id, nonce))
        return found[0] if found else None

    def consume(self, merchant_id: str, nonce: str) -> bool:
        with self._lock:
            found = self._items.get((merchant_id, nonce))
            if found is None or found[1]:
                return False
            self._items[(merchant_id, nonce)] = (found[0], True)
            return True


class DynamoChallengeStore(ChallengeStore):
    """Table: hash key merchant_id (S), range key nonce (S); TTL on expires_at (epoch seconds)."""

    def __init__(self, client: Any, table: str):
        self._ddb = client
        self._table = table

    def put(self, challenge: Challenge) -> None:
        self._ddb.put_item(TableName=self._table, ConditionExpression="attribute_not_exists(nonce)", Item={
            "merchant_id": {"S": challenge.merchant_id}, "nonce": {"S": challenge.nonce},
            "customer_id": {"S": challenge.customer_id}, "wallet": {"S": challenge.wallet},
            "issued_at": {"N": repr(challenge.issued_at)}, "expires_at": {"N": str(int(challenge.expires_at))},
            "expires_at_exact": {"N": repr(challenge.expires_at)}, "used": {"BOOL": False}})

    def get(self, merchant_id: str, nonce: str) -> Challenge | None:
        item = self._ddb.get_item(TableName=self._table, ConsistentRead=True,
                                  Key={"merchant_id": {"S": merchant_id}, "nonce": {"S": nonce}}).get("Item")
        if item is None:
            return None
        return Challenge(nonce, merchant_id, item["customer_id"]["S"], item["wallet"]["S"],
                         float(item["issued_at"]["N"]), float(item["expires_at_exact"]["N"]))

    def consume(self, merchant_id: str, nonce: str) -> bool:
        try:
            self._ddb.update_item(TableName=self._table, Key={"merchant_id": {"S": merchant_id}, "nonce": {"S": nonce}},
                                  UpdateExpression="SET used = :t", ConditionExpression="used = :f",
                                  ExpressionAttributeValues={":t": {"BOOL": True}, ":f": {"BOOL": False}})
            return True
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False


