"""Payments table: one item per payment, every write conditional on the version read (optimistic
concurrency), with an outbox of the events the transition must publish (cleared once published)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from smartpay_payment.domain.model import TERMINAL, Payment
from smartpay_payment.service_layer.ports import ConcurrencyConflict, PaymentRepository, RepositoryError, Stored
from smartpay_shared.events.catalog import spec_for
from smartpay_shared.events.envelope import Envelope, Metadata


PAYMENT_PREFIX = "pay_"  # payment items; vault items are keyed "vault#<merchant>#<id>" (adapters/vault.py)


def _encode(envelope: Envelope) -> str:
    return json.dumps(envelope.to_detail(), separators=(",", ":"))


def decode_envelope(raw: str) -> Envelope:
    detail = json.loads(raw)
    metadata = Metadata.model_validate(detail["metadata"])
    data = spec_for(metadata.event_type).model.model_validate(detail["data"])
    return Envelope(metadata=metadata, data=data)


class DynamoPaymentRepository(PaymentRepository):
    def __init__(self, dynamodb_client: Any, table: str):
        self._db = dynamodb_client
        self._table = table

    def get(self, payment_id: str, merchant_id: str | None = None) -> Stored | None:
        """None when absent or owned by another merchant (callers answer 404 either way)."""
        try:
            item = self._db.get_item(TableName=self._table, Key={"payment_id": {"S": payment_id}},
                                     ConsistentRead=True).get("Item")
        except ClientError as e:
            raise RepositoryError(f"get {payment_id}: {e}") from e
        if not item or (merchant_id is not None and item["merchant_id"]["S"] != merchant_id):
            return None
        return self._stored(item)

    @staticmethod
    def _stored(item: dict) -> Stored:
        payment = Payment.model_validate_json(item["record"]["S"])
        outbox = {k: decode_envelope(v["S"]) for k, v in item.get("outbox", {}).get("M", {}).items()}
        outbox_at = float(item["outbox_at"]["N"]) if "outbox_at" in item else None
        deadline_at = float(item["deadline_at"]["N"]) if "deadline_at" in item else None
        return Stored(payment, outbox, outbox_at, deadline_at)

    def save(self, payment: Payment, envelopes: list[Envelope], *, expected_version: int | None,
             deadline_at: datetime | None = None) -> None:
        """Write `payment` if the stored version is still `expected_version` (None: must not exist)."""
        names = {"#s": "state", "#v": "version", "#r": "record", "#u": "updated_at", "#o": "outbox"}
        values: dict[str, Any] = {
            ":s": {"S": payment.state.value}, ":nv": {"N": str(payment.version)},
            ":r": {"S": payment.model_dump_json()}, ":u": {"S": payment.updated_at.isoformat()},
            ":m": {"S": payment.merchant_id}, ":terminal": {"BOOL": payment.state in TERMINAL},
            ":oat": {"N": str(payment.updated_at.timestamp())},
            ":pr": {"N": str(sum(1 for r in payment.refunds if r.status == "pending"))},
        }
        sets = ["#s = :s", "#v = :nv", "#r = :r", "#u = :u", "merchant_id = :m", "terminal = :terminal",
                "pending_refunds = :pr", "updated_ts = :oat"]
        if payment.state in TERMINAL:
            # The index source (`smartpay chat reindex`): the PaymentSnapshot of this very version, the
            # same JSON a payment.completed/payment.refunded event of this version carries.
            sets.append("#snap = :snap")  # `snapshot` is a DynamoDB reserved word
            names["#snap"] = "snapshot"
            values[":snap"] = {"S": payment.snapshot().model_dump_json()}
        if deadline_at is not None:
            sets.append("deadline_at = :d")
            values[":d"] = {"N": str(int(deadline_at.timestamp()))}
        if expected_version is None:
            # A new item: the outbox map is created whole (nested SETs need an existing map).
            sets.append("#o = :outbox")
            values[":outbox"] = {"M": {e.metadata.event_id: {"S": _encode(e)} for e in envelopes}}
            condition = "attribute_not_exists(payment_id)"
        else:
            for i, envelope in enumerate(envelopes):
                names[f"#e{i}"] = envelope.metadata.event_id
                values[f":e{i}"] = {"S": _encode(envelope)}
                sets.append(f"#o.#e{i} = :e{i}")
            condition = "#v = :ev"
            values[":ev"] = {"N": str(expected_version)}
        if envelopes:
            sets.append("outbox_at = :oat")
        elif expected_version is not None:
            del names["#o"]  # DynamoDB refuses unused names
        try:
            self._db.update_item(TableName=self._table, Key={"payment_id": {"S": payment.payment_id}},
                                 UpdateExpression="SET " + ", ".join(sets), ConditionExpression=condition,
                                 ExpressionAttributeNames=names, ExpressionAttributeValues=values)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConcurrencyConflict(f"{payment.payment_id} moved past version {expected_version}") from e
            raise RepositoryError(f"save {payment.payment_id}: {e}") from e

    def clear_outbox(self, payment_id: str, event_ids: list[str]) -> None:
        if not event_ids:
            return
        names = {f"#e{i}": event_id for i, event_id in enumerate(event_ids)}
        names["#o"] = "outbox"
        try:
            self._db.update_item(TableName=self._table, Key={"payment_id": {"S": payment_id}},
                                 UpdateExpression="REMOVE " + ", ".join(f"#o.{k}" for k in names if k != "#o"),
                                 ExpressionAttributeNames=names)
        except ClientError as e:
            raise RepositoryError(f"clear outbox of {payment_id}: {e}") from e

    def sweep_candidates(self, now: datetime, outbox_before: datetime) -> list[Stored]:
        """Sagas past their deadline, or with events still unpublished since before `outbox_before`.
        A Scan: fine for the local stack; production would add a sparse GSI (see docs/payment.md)."""
        items: list[dict] = []
        kwargs: dict[str, Any] = dict(
            TableName=self._table,
            FilterExpression="(terminal = :f AND deadline_at < :now) OR (outbox_at < :ob AND size(outbox) > :zero)"
                             " OR (pending_refunds > :zero AND updated_ts < :ob)",
            ExpressionAttributeValues={":f": {"BOOL": False}, ":now": {"N": str(int(now.timestamp()))},
                                       ":ob": {"N": str(outbox_before.timestamp())}, ":zero": {"N": "0"}})
        while True:
            page = self._db.scan(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [self._stored(item) for item in items]

    def all(self) -> list[Stored]:
        """Every payment (operators' reconciliation; a Scan). Vault items share the table: skipped."""
        items: list[dict] = []
        kwargs: dict[str, Any] = {"TableName": self._table, "FilterExpression": "begins_with(payment_id, :pay)",
                                  "ExpressionAttributeValues": {":pay": {"S": PAYMENT_PREFIX}}}
        while True:
            page = self._db.scan(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return [self._stored(item) for item in items]
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
