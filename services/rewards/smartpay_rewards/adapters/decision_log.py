"""The offer decision log in DynamoDB, and its in-memory fake (unit tests).

Table (the name is a constructor argument; Terraform: `<p>-rewards-offer-decisions`): `pk` (hash,
`<merchant>#<customer>`) + `sk` (range, `<decision time, UTC ISO 8601 with microseconds>#<decision id>`), so a
customer's decisions read newest first by one query and every item is scoped by the merchant in its key
(merchant ids hold no `#`). Append-only: every Put is conditioned on its key being absent. Training and OPE
read the whole table (`decided_between`: a scan filtered on the decision time); the worker reads the decision
standing at a capture (`standing_at`: one strongly consistent query). Numbers are stored as DynamoDB numbers
(propensity, probabilities), the context as JSON text.

One more item per customer, `sk` = `#standing` (sorts before every decision time, so no time range reads it;
the training scan's filter leaves it out by its key): a copy of the decision the API last drew, written with a
condition on the decision it replaces (`claim`), so that of two first statements at once only one draws the
decision shown and logged; the other reads the winner's back (a strongly consistent Query of that key)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from smartpay_rewards.service_layer.decision_log import DecisionRecord, OfferDecisionLog

_ser, _de = TypeSerializer(), TypeDeserializer()


STANDING = "#standing"


def _pk(merchant_id: str, customer_id: str) -> str:
    return f"{merchant_id}#{customer_id}"


def _time(at: datetime) -> str:
    """Fixed-width UTC text, so that the range key sorts as time does."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def record_item(r: DecisionRecord) -> dict[str, Any]:
    return {"pk": _pk(r.merchant_id, r.customer_id), "sk": f"{_time(r.at)}#{r.decision_id}",
            "merchant_id": r.merchant_id, "customer_id": r.customer_id, "decision_id": r.decision_id,
            "at": _time(r.at), "policy_version": r.policy_version, "action": r.action,
            "propensity": Decimal(repr(r.propensity)), "actions": list(r.actions),
            "probabilities": [Decimal(repr(p)) for p in r.probabilities],
            "context": json.dumps(dict(r.context), sort_keys=True)}


def record_from(item: dict[str, Any]) -> DecisionRecord:
    return DecisionRecord(item["merchant_id"], item["customer_id"], item["decision_id"],
                          datetime.fromisoformat(item["at"]), item["policy_version"], item["action"],
                          float(item["propensity"]), tuple(item["actions"]),
                          tuple(float(p) for p in item["probabilities"]), json.loads(item["context"]))


class DynamoDecisionLog(OfferDecisionLog):
    def __init__(self, client: Any, table: str):
        self.client, self.table = client, table

    def append(self, record: DecisionRecord) -> None:
        item = {k: _ser.serialize(v) for k, v in record_item(record).items()}
        try:
            self.client.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # the same decision id at the same time: kept once

    def recent(self, merchant_id: str, customer_id: str, *, since: datetime, limit: int) -> list[DecisionRecord]:
        values = {":k": _ser.serialize(_pk(merchant_id, customer_id)), ":s": _ser.serialize(_time(since))}
        out: list[DecisionRecord] = []
        start = None
        while len(out) < limit:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            page = self.client.query(TableName=self.table, KeyConditionExpression="pk = :k AND sk >= :s",
                                     ExpressionAttributeValues=values, ScanIndexForward=False,
                                     Limit=limit - len(out), **kwargs)
            out += [record_from({k: _de.deserialize(v) for k, v in i.items()}) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return out

    def standing_at(self, merchant_id: str, customer_id: str, at: datetime, *,
                    since: datetime) -> DecisionRecord | None:
        # "~" sorts after every character of a decision id: the range takes every decision made at `at` too.
        values = {":k": _pk(merchant_id, customer_id), ":s": _time(since), ":u": f"{_time(at)}#~"}
        page = self.client.query(TableName=self.table, KeyConditionExpression="pk = :k AND sk BETWEEN :s AND :u",
                                 ExpressionAttributeValues={k: _ser.serialize(v) for k, v in values.items()},
                                 ScanIndexForward=False, Limit=1, ConsistentRead=True)
        found = page["Items"]
        return record_from({k: _de.deserialize(v) for k, v in found[0].items()}) if found else None

    def claim(self, record: DecisionRecord, previous: str | None) -> DecisionRecord:
        item = {k: _ser.serialize(v) for k, v in {**record_item(record), "sk": STANDING}.items()}
        if previous is None:
            condition, values = "attribute_not_exists(pk)", {}
        else:
            condition, values = "decision_id = :prev", {":prev": _ser.serialize(previous)}
        try:
            self.client.put_item(TableName=self.table, Item=item, ConditionExpression=condition,
                                 **({"ExpressionAttributeValues": values} if values else {}))
            return record
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        page = self.client.query(TableName=self.table, KeyConditionExpression="pk = :k AND sk = :s",
                                 ExpressionAttributeValues={":k": item["pk"], ":s": _ser.serialize(STANDING)},
                                 ConsistentRead=True)
        [winner] = page["Items"]
        return record_from({k: _de.deserialize(v) for k, v in winner.items()})

    def decided_between(self, since: datetime, until: datetime) -> Iterator[DecisionRecord]:
        """A paginated scan filtered on the decision time (fixed-width UTC text compares as time does)."""
        values = {":s": _ser.serialize(_time(since)), ":u": _ser.serialize(_time(until)),
                  ":st": _ser.serialize(STANDING)}
        start = None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            page = self.client.scan(TableName=self.table, FilterExpression="#at >= :s AND #at < :u AND sk <> :st",
                                    ExpressionAttributeNames={"#at": "at"}, ExpressionAttributeValues=values,
                                    **kwargs)
            for item in page["Items"]:
                yield record_from({k: _de.deserialize(v) for k, v in item.items()})
            start = page.get("LastEvaluatedKey")
            if not start:
                return


class MemoryDecisionLog(OfferDecisionLog):
    """The same contract over a dict (unit tests)."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], dict[str, DecisionRecord]] = {}
        self.standing: dict[tuple[str, str], DecisionRecord] = {}

    def append(self, record: DecisionRecord) -> None:
        self.records.setdefault((record.merchant_id, record.customer_id), {}).setdefault(record.decision_id, record)

    def recent(self, merchant_id: str, customer_id: str, *, since: datetime, limit: int) -> list[DecisionRecord]:
        found = self.records.get((merchant_id, customer_id), {}).values()
        return sorted((r for r in found if r.at >= since), key=lambda r: (r.at, r.decision_id), reverse=True)[:limit]

    def standing_at(self, merchant_id: str, customer_id: str, at: datetime, *,
                    since: datetime) -> DecisionRecord | None:
        found = [r for r in self.records.get((merchant_id, customer_id), {}).values() if since <= r.at <= at]
        return max(found, key=lambda r: (r.at, r.decision_id), default=None)

    def claim(self, record: DecisionRecord, previous: str | None) -> DecisionRecord:
        key = (record.merchant_id, record.customer_id)
        current = self.standing.get(key)
        if (current.decision_id if current else None) == previous:
            self.standing[key] = record
            return record
        return current

    def decided_between(self, since: datetime, until: datetime) -> Iterator[DecisionRecord]:
        return (r for r in self.all() if since <= r.at < until)

    def all(self) -> list[DecisionRecord]:
        return [r for per in self.records.values() for r in per.values()]
