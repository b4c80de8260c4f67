"""Chat sessions in DynamoDB (`smartpay-chat-sessions`: hash `session_id` S, range `turn` N, TTL `expires_at`).
The stored hash key is `<merchant>#<session id>`: another merchant's session id is simply an empty session."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from smartpay_chat.domain.errors import IndexUnavailable
from smartpay_chat.domain.plan import AggregatePlan
from smartpay_chat.service_layer.chat import NO_TURN, SessionStore, Turn


class SessionsUnavailable(IndexUnavailable):
    """The session table cannot be reached (answered like the engine being down: 503, retry)."""


class DynamoDBSessions(SessionStore):
    def __init__(self, client: Any, table: str, ttl_seconds: int = 86_400):
        self._db, self._table, self._ttl = client, table, ttl_seconds

    @staticmethod
    def key(merchant_id: str, session_id: str) -> str:
        return f"{merchant_id}#{session_id}"

    def _last(self, merchant_id: str, session_id: str) -> dict | None:
        try:
            items = self._db.query(TableName=self._table, KeyConditionExpression="session_id = :s",
                                   ExpressionAttributeValues={":s": {"S": self.key(merchant_id, session_id)}},
                                   ScanIndexForward=False, Limit=1, ConsistentRead=True)["Items"]
        except ClientError as e:
            raise SessionsUnavailable(f"chat sessions: {e.response['Error']['Code']}") from e
        except BotoCoreError as e:  # endpoint unreachable, credentials missing...
            raise SessionsUnavailable(f"chat sessions: {type(e).__name__}") from e
        return items[0] if items else None

    def last_turn(self, merchant_id: str, session_id: str) -> Turn:
        item = self._last(merchant_id, session_id)
        if item is None:
            return NO_TURN
        if item["merchant_id"]["S"] != merchant_id or int(item["expires_at"]["N"]) < time.time():
            return Turn(int(item["turn"]["N"]), None)  # DynamoDB's TTL deletes lazily: an expired turn is gone
        return Turn(int(item["turn"]["N"]), AggregatePlan.model_validate_json(item["plan"]["S"]))

    def append(self, merchant_id: str, session_id: str, question: str, plan: AggregatePlan, *,
               after: int | None = None) -> None:
        turn = (self.last_turn(merchant_id, session_id).number if after is None else after) + 1
        try:
            self._db.put_item(TableName=self._table, Item={
                "session_id": {"S": self.key(merchant_id, session_id)}, "turn": {"N": str(turn)},
                "merchant_id": {"S": merchant_id}, "question": {"S": question},
                "plan": {"S": plan.model_dump_json()}, "expires_at": {"N": str(int(time.time()) + self._ttl)}},
                ConditionExpression="attribute_not_exists(session_id)")
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return  # a concurrent turn took this number; the follow-up context is the newer one anyway
            raise SessionsUnavailable(f"chat sessions: {e.response['Error']['Code']}") from e
        except BotoCoreError as e:
            raise SessionsUnavailable(f"chat sessions: {type(e).__name__}") from e
