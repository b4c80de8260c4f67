"""Endpoints and deliveries in DynamoDB (low-level client, TypeSerializer).

endpoints:  merchant_id (hash) + endpoint_id (range); secrets as KMS ciphertext only.
deliveries: endpoint_id (hash) + delivery_id (range, time-ordered: `dlv_<ms>_<hash>`), so an endpoint's
            log reads newest first and "since a time" is a key condition; items expire after 30 days."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from smartpay_webhooks.domain.model import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointSecret,
    EndpointStatus,
)

DELIVERY_RETENTION = timedelta(days=30)
_ser, _de = TypeSerializer(), TypeDeserializer()


def _dump(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in item.items() if v is not None}


def _load(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def _ts(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def endpoint_item(e: Endpoint) -> dict[str, Any]:
    return {
        "merchant_id": e.merchant_id, "endpoint_id": e.endpoint_id, "url": e.url,
        "event_types": list(e.event_types), "description": e.description, "status": e.status.value,
        "secrets": [{"ciphertext": s.ciphertext, "created_at": _ts(s.created_at),
                     **({"expires_at": _ts(s.expires_at)} if s.expires_at else {})} for s in e.secrets],
        "created_at": _ts(e.created_at), "updated_at": _ts(e.updated_at),
    }


def endpoint_from(item: dict[str, Any]) -> Endpoint:
    return Endpoint(
        item["merchant_id"], item["endpoint_id"], item["url"], tuple(item["event_types"]), item["description"],
        EndpointStatus(item["status"]),
        tuple(EndpointSecret(s["ciphertext"], _dt(s["created_at"]), _dt(s.get("expires_at"))) for s in item["secrets"]),
        _dt(item["created_at"]), _dt(item["updated_at"]))


def delivery_item(d: Delivery) -> dict[str, Any]:
    return {
        "endpoint_id": d.endpoint_id, "delivery_id": d.delivery_id, "merchant_id": d.merchant_id,
        "event_id": d.event_id, "event_type": d.event_type, "body": d.body, "created_at": _ts(d.created_at),
        "status": d.status.value, "attempt_count": d.attempt_count, "cycle_start": d.cycle_start,
        "attempts": json.dumps([{"at": _ts(a.at), "status_code": a.status_code, "latency_ms": a.latency_ms,
                                 "response_body": a.response_body, "error": a.error} for a in d.attempts]),
        "next_attempt_at": _ts(d.next_attempt_at),
        "expires_at": int((d.created_at + DELIVERY_RETENTION).timestamp()),
    }


def delivery_from(item: dict[str, Any]) -> Delivery:
    attempts = tuple(Attempt(_dt(a["at"]), a["status_code"], a["latency_ms"], a["response_body"], a["error"])
                     for a in json.loads(item["attempts"]))
    return Delivery(item["endpoint_id"], item["delivery_id"], item["merchant_id"], item["event_id"],
                    item["event_type"], item["body"], _dt(item["created_at"]), DeliveryStatus(item["status"]),
                    int(item["attempt_count"]), attempts, _dt(item.get("next_attempt_at")),
                    int(item.get("cycle_start", 0)))


class DynamoEndpoints:
    def __init__(self, client: Any, table: str):
        self.client, self.table = client, table

    def add(self, endpoint: Endpoint) -> None:
        self.client.put_item(TableName=self.table, Item=_dump(endpoint_item(endpoint)),
                             ConditionExpression="attribute_not_exists(endpoint_id)")

    def get(self, merchant_id: str, endpoint_id: str) -> Endpoint | None:
        found = self.client.get_item(TableName=self.table, ConsistentRead=True,
                                     Key=_dump({"merchant_id": merchant_id, "endpoint_id": endpoint_id}))
        return endpoint_from(_load(found["Item"])) if "Item" in found else None

    def list(self, merchant_id: str) -> list[Endpoint]:
        out, start = [], None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            page = self.client.query(TableName=self.table, KeyConditionExpression="merchant_id = :m",
                                     ExpressionAttributeValues=_dump({":m": merchant_id}), **kwargs)
            out += [endpoint_from(_load(i)) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return out

    def save(self, endpoint: Endpoint) -> None:
        """Overwrite an endpoint that still exists (a delete wins over a concurrent update)."""
        try:
            self.client.put_item(TableName=self.table, Item=_dump(endpoint_item(endpoint)),
                                 ConditionExpression="attribute_exists(endpoint_id)")
        except self.client.exceptions.ConditionalCheckFailedException:
            pass

    def delete(self, merchant_id: str, endpoint_id: str) -> bool:
        found = self.client.delete_item(TableName=self.table, ReturnValues="ALL_OLD",
                                        Key=_dump({"merchant_id": merchant_id, "endpoint_id": endpoint_id}))
        return "Attributes" in found


class DynamoDeliveries:
    def __init__(self, client: Any, table: str):
        self.client, self.table = client, table

    def create(self, delivery: Delivery) -> bool:
        try:
            self.client.put_item(TableName=self.table, Item=_dump(delivery_item(delivery)),
                                 ConditionExpression="attribute_not_exists(delivery_id)")
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False

    def get(self, endpoint_id: str, delivery_id: str) -> Delivery | None:
        found = self.client.get_item(TableName=self.table, ConsistentRead=True,
                                     Key=_dump({"endpoint_id": endpoint_id, "delivery_id": delivery_id}))
        return delivery_from(_load(found["Item"])) if "Item" in found else None

    def save(self, delivery: Delivery, *, expected_attempt_count: int) -> bool:
        try:
            self.client.put_item(TableName=self.table, Item=_dump(delivery_item(delivery)),
                                 ConditionExpression="attempt_count = :n",
                                 ExpressionAttributeValues=_dump({":n": expected_attempt_count}))
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False

    def list(self, endpoint_id: str, *, newest_first: bool, after_id: str | None = None,
             before_id: str | None = None, limit: int = 50) -> list[Delivery]:
        condition, values = "endpoint_id = :e", {":e": endpoint_id}
        if after_id and before_id:
            condition += " AND delivery_id BETWEEN :a AND :b"
            values.update({":a": after_id, ":b": before_id})
        elif after_id:
            condition += " AND delivery_id >= :a"
            values[":a"] = after_id
        elif before_id:
            condition += " AND delivery_id < :b"
            values[":b"] = before_id
        out, start = [], None
        while len(out) < limit:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            page = self.client.query(TableName=self.table, KeyConditionExpression=condition,
                                     ExpressionAttributeValues=_dump(values), ScanIndexForward=not newest_first,
                                     Limit=limit - len(out), **kwargs)
            out += [delivery_from(_load(i)) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return out[:limit]
