"""Read the payment service's DynamoDB table for a reindex (read only). The contract, not an import (services
never import each other): an item has `payment_id` (hash key, S) and `merchant_id` (S); a terminal payment
also has `snapshot` (S), the JSON of smartpay_shared's PaymentSnapshot for the item's version."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from smartpay_shared.events.payloads import PaymentSnapshot

from smartpay_chat.domain.errors import IndexUnavailable


@dataclass(frozen=True)
class TableItem:
    """One item: its snapshot, or why it has none (`skipped`: no snapshot yet; `invalid`: one that fails)."""

    merchant_id: str | None
    payment_id: str | None
    snapshot: PaymentSnapshot | None = None
    skipped: str | None = None
    invalid: str | None = None


def approximate_count(client: Any, table: str) -> int | None:
    """DynamoDB's item count (refreshed about every 6 hours in AWS): a progress bar's total, never a figure."""
    try:
        return int(client.describe_table(TableName=table)["Table"]["ItemCount"])
    except (ClientError, BotoCoreError, KeyError):
        return None


def scan(client: Any, table: str, page_size: int = 500) -> Iterator[TableItem]:
    kwargs: dict[str, Any] = {"TableName": table, "Limit": page_size, "ConsistentRead": True,
                              "ProjectionExpression": "#p, #m, #s",
                              "ExpressionAttributeNames": {"#p": "payment_id", "#m": "merchant_id", "#s": "snapshot"}}
    while True:
        try:
            page = client.scan(**kwargs)
        except (ClientError, BotoCoreError) as e:
            raise IndexUnavailable(f"cannot scan the payments table {table}: {e}") from e
        for item in page.get("Items", []):
            yield _read(item)
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _read(item: dict[str, Any]) -> TableItem:
    payment_id = item.get("payment_id", {}).get("S")
    merchant_id = item.get("merchant_id", {}).get("S")
    if not payment_id or not merchant_id:
        return TableItem(merchant_id, payment_id, invalid="no payment_id or merchant_id")
    raw = item.get("snapshot", {}).get("S")
    if raw is None:
        return TableItem(merchant_id, payment_id, skipped="no snapshot (not terminal yet)")
    try:
        return TableItem(merchant_id, payment_id, PaymentSnapshot.model_validate_json(raw))
    except ValidationError as e:  # the first error's location only: never the value (it could hold a PAN)
        first = e.errors()[0]
        return TableItem(merchant_id, payment_id,
                         invalid=f"snapshot: {'.'.join(str(p) for p in first['loc'])}: {first['type']}")
