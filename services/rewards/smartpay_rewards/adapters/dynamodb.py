"""The ledger in DynamoDB (low-level client), one TransactWriteItems per unit of work; an event's reads (its
marker, the payment record, the account, the merchant's category) one BatchGetItem (`event_reads`).

ledger:   account_key (hash, `<merchant>#<customer>`) + entry_id (range); LSI `by_seq` (range `seq`) reads a
          customer's history in order. Append-only: every Put is conditioned on its entry id being absent.
accounts: pk + sk: the balance item (`<merchant>#customer#<customer>`, `account`), the payment record
          (`<merchant>#payment#<payment>`, `payment`) and one marker per applied event
          (`<merchant>#payment#<payment>`, `event#<event id>`), the merchant's offer category
          (`<merchant>#merchant`, `category`: set by the operator), linked wallets (`wallets`, `<merchant>#<customer>`:
          one partition the mint run queries), redemptions (`<merchant>#redemption#<id>`, `redemption`), the
          chain's setup (`chain`, `setup`) and leases (`lease`, `<name>`). Merchant ids hold no `#`, so keys never
          collide.
journal:  the mint journal, one item per batch (`batch_id`): `pending` (written before the transaction is sent),
          then `minted` or `failed`; a minted outcome is written in the same transaction as its MINTED markers."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

import json

from smartpay_rewards.chain.ports import LinkedWallet, MintOrder, PendingBatch
from smartpay_rewards.domain.model import Account, Change, ChainSetup, Entry, EntryKind, PaymentRecord, Redemption
from smartpay_rewards.service_layer.ports import (AbstractUnitOfWork, AlreadyApplied, BatchOutcomeWrite,
                                                  ConcurrentChange, EventReads, LeaseClaim, LeaseLost, Record, RedemptionWrite,
                                                  WalletWrite)

BY_SEQ = "by_seq"
BATCH_GET_ATTEMPTS = 5  # BatchGetItem requests per read before UnprocessedReads
BATCH_GET_BACKOFF = 0.05  # seconds before the first retry of unprocessed keys; doubled each time, at most 1 s


class UnprocessedReads(RuntimeError):
    """DynamoDB left keys of a BatchGetItem unprocessed every time it was asked: the event fails and is
    redelivered (the queue's retry)."""

_ser, _de = TypeSerializer(), TypeDeserializer()


def _dump(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in item.items() if v is not None}


def _load(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def account_key(merchant_id: str, customer_id: str) -> str:
    return f"{merchant_id}#{customer_id}"


def _account_pk(merchant_id: str, customer_id: str) -> str:
    return f"{merchant_id}#customer#{customer_id}"


def _payment_pk(merchant_id: str, payment_id: str) -> str:
    return f"{merchant_id}#payment#{payment_id}"


_ACCOUNT_TOTALS = ("balance", "debt", "seq", "earned", "clawed", "redeemed", "minted")


def account_item(a: Account) -> dict[str, Any]:
    return {"pk": _account_pk(a.merchant_id, a.customer_id), "sk": "account", "merchant_id": a.merchant_id,
            "customer_id": a.customer_id, **{k: getattr(a, k) for k in _ACCOUNT_TOTALS},
            "updated_at": a.updated_at.isoformat() if a.updated_at else None}


def account_from(item: dict[str, Any]) -> Account:
    return Account(item["merchant_id"], item["customer_id"], **{k: int(item[k]) for k in _ACCOUNT_TOTALS},
                   updated_at=datetime.fromisoformat(item["updated_at"]) if item.get("updated_at") else None)


def payment_item(p: PaymentRecord, version: int) -> dict[str, Any]:
    return {"pk": _payment_pk(p.merchant_id, p.payment_id), "sk": "payment", "merchant_id": p.merchant_id,
            "payment_id": p.payment_id, "customer_id": p.customer_id, "currency": p.currency, "version": version,
            "captured_amount": p.captured_amount, "earn_rate": p.earn_rate, "points_earned": p.points_earned,
            "refunded_total": p.refunded_total, "points_clawed": p.points_clawed, "category": p.category,
            "bonus_points": p.bonus_points, "offer_id": p.offer_id, "decision_id": p.decision_id}


def payment_from(item: dict[str, Any]) -> PaymentRecord:
    captured = item.get("captured_amount")
    return PaymentRecord(item["merchant_id"], item["payment_id"], item["customer_id"], item["currency"],
                         int(item["version"]), int(captured) if captured is not None else None, item.get("earn_rate"),
                         int(item["points_earned"]), int(item["refunded_total"]), int(item["points_clawed"]),
                         item.get("category"), int(item.get("bonus_points", 0)), item.get("offer_id"),
                         item.get("decision_id"))


def entry_item(e: Entry) -> dict[str, Any]:
    return {"account_key": account_key(e.merchant_id, e.customer_id), "entry_id": e.entry_id, "seq": e.seq,
            "merchant_id": e.merchant_id, "customer_id": e.customer_id, "kind": e.kind.value, "points": e.points,
            "debt_change": e.debt_change, "balance_after": e.balance_after, "debt_after": e.debt_after,
            "at": e.at.isoformat(), "payment_id": e.payment_id, "event_id": e.event_id, "reference": e.reference,
            "detail": e.detail, "amount": e.amount, "currency": e.currency}


def entry_from(item: dict[str, Any]) -> Entry:
    return Entry(item["merchant_id"], item["customer_id"], item["entry_id"], int(item["seq"]), EntryKind(item["kind"]),
                 int(item["points"]), int(item["debt_change"]), int(item["balance_after"]), int(item["debt_after"]),
                 datetime.fromisoformat(item["at"]), item.get("payment_id"), item.get("event_id"),
                 item.get("reference"), item.get("detail", ""),
                 int(item["amount"]) if item.get("amount") is not None else None, item.get("currency"))


_REDEMPTION_TIMES = ("created_at", "updated_at")


def redemption_item(r: Redemption) -> dict[str, Any]:
    item = {k: getattr(r, k) for k in Redemption.__dataclass_fields__}
    item.update({k: item[k].isoformat() if item[k] else None for k in _REDEMPTION_TIMES})
    return {"pk": f"{r.merchant_id}#redemption#{r.redemption_id}", "sk": "redemption", **item}


def redemption_from(item: dict[str, Any]) -> Redemption:
    values = {k: item.get(k) for k in Redemption.__dataclass_fields__}
    for k in ("points", "quoted_out", "min_out", "amount_out", "fee_lamports"):
        values[k] = int(values[k] or 0)
    values.update({k: datetime.fromisoformat(values[k]) if values[k] else None for k in _REDEMPTION_TIMES})
    values["detail"] = values["detail"] or ""
    return Redemption(**values)


def _orders_json(orders: tuple[MintOrder, ...]) -> str:
    return json.dumps([[o.merchant_id, o.customer_id, o.wallet, o.amount] for o in orders])


def _orders(text: str) -> tuple[MintOrder, ...]:
    return tuple(MintOrder(m, c, w, int(a)) for m, c, w, a in json.loads(text))


class DynamoUnitOfWork(AbstractUnitOfWork):
    def __init__(self, client: Any, ledger_table: str, accounts_table: str, journal_table: str | None = None):
        self.client, self.ledger_table, self.accounts_table = client, ledger_table, accounts_table
        self.journal_table = journal_table

    def _journal(self) -> str:
        if not self.journal_table:
            raise RuntimeError("this unit of work has no mint journal table (REWARDS_MINT_JOURNAL_TABLE)")
        return self.journal_table

    def _query_all(self, table: str, **kwargs) -> list[dict[str, Any]]:
        out, start = [], None
        while True:
            page = self.client.query(TableName=table, ConsistentRead=True,
                                     **kwargs, **({"ExclusiveStartKey": start} if start else {}))
            out += [_load(i) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return out

    def _scan_all(self, table: str, **kwargs) -> list[dict[str, Any]]:
        out, start = [], None
        while True:
            page = self.client.scan(TableName=table, ConsistentRead=True,
                                    **kwargs, **({"ExclusiveStartKey": start} if start else {}))
            out += [_load(i) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return out

    def wallet(self, merchant_id: str, customer_id: str) -> str | None:
        item = self._get("wallets", f"{merchant_id}#{customer_id}")
        return item["wallet"] if item else None

    def wallets(self) -> list[LinkedWallet]:
        items = self._query_all(self.accounts_table, KeyConditionExpression="pk = :p",
                                ExpressionAttributeValues=_dump({":p": "wallets"}))
        return [LinkedWallet(i["merchant_id"], i["customer_id"], i["wallet"], i.get("nonce", "")) for i in items]

    def redemption(self, merchant_id: str, redemption_id: str) -> Redemption | None:
        item = self._get(f"{merchant_id}#redemption#{redemption_id}", "redemption")
        return redemption_from(item) if item else None

    def open_redemptions(self) -> list[Redemption]:
        # A scan (an operator's `resolve`, rare): the open ones are few, the filter drops the rest.
        items = self._scan_all(self.accounts_table, FilterExpression="sk = :r AND #s IN (:a, :b)",
                               ExpressionAttributeNames={"#s": "status"},
                               ExpressionAttributeValues=_dump({":r": "redemption", ":a": "reserved", ":b": "pending"}))
        return [redemption_from(i) for i in items]

    def put_pending_batch(self, pending: PendingBatch, lease: LeaseClaim | None = None) -> None:
        put = {"TableName": self._journal(), "Item": _dump({
            "batch_id": pending.batch_id, "status": "pending", "orders": _orders_json(pending.orders),
            "signature": pending.signature, "blockhash": pending.blockhash, "new_accounts": pending.new_accounts}),
            "ConditionExpression": "attribute_not_exists(batch_id) OR #s = :p",
            "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": _dump({":p": "pending"})}
        if lease is None:
            self.client.put_item(**put)
            return
        # Fenced: the lease is extended and the batch recorded together, only while the holder is still ours.
        extend = {"Update": {"TableName": self.accounts_table, "Key": _dump({"pk": "lease", "sk": lease.name}),
                             "UpdateExpression": "SET #u = :until", "ConditionExpression": "holder = :h",
                             "ExpressionAttributeNames": {"#u": "until"},
                             "ExpressionAttributeValues": _dump({":h": lease.holder, ":until": int(lease.until)})}}
        try:
            self.client.transact_write_items(TransactItems=[extend, {"Put": put}])
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise LeaseLost(lease.name) from e
            raise

    def pending_batches(self) -> list[PendingBatch]:
        items = self._scan_all(self._journal(), FilterExpression="#s = :p", ExpressionAttributeNames={"#s": "status"},
                               ExpressionAttributeValues=_dump({":p": "pending"}))
        return [PendingBatch(i["batch_id"], _orders(i["orders"]), i["signature"], i["blockhash"],
                             int(i.get("new_accounts", 0))) for i in items]

    def chain_setup(self) -> ChainSetup | None:
        item = self._get("chain", "setup")
        if item is None:
            return None
        return ChainSetup(item["mint"], item["pool_nonce"], item["pool_authority"], int(item["pool_seed_points"]),
                          item.get("refund_mode", "offset"))

    def put_chain_setup(self, setup: ChainSetup) -> None:
        try:
            self.client.put_item(TableName=self.accounts_table, ConditionExpression="attribute_not_exists(pk)",
                                 Item=_dump({"pk": "chain", "sk": "setup", **setup.__dict__}))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise ConcurrentChange("a chain setup is stored") from e
            raise

    def acquire_lease(self, name: str, holder: str, until: float, now: float) -> bool:
        try:
            self.client.put_item(TableName=self.accounts_table, Item=_dump({"pk": "lease", "sk": name, "holder": holder,
                                                                          "until": int(until)}),
                                 ConditionExpression="attribute_not_exists(pk) OR holder = :h OR #u < :now",
                                 ExpressionAttributeNames={"#u": "until"},
                                 ExpressionAttributeValues=_dump({":h": holder, ":now": int(now)}))
            return True
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise

    def release_lease(self, name: str, holder: str) -> None:
        try:
            self.client.delete_item(TableName=self.accounts_table, Key=_dump({"pk": "lease", "sk": name}),
                                    ConditionExpression="holder = :h", ExpressionAttributeValues=_dump({":h": holder}))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def _record_item(self, record: Record) -> dict[str, Any]:
        if isinstance(record, WalletWrite):
            link = record.link
            return {"Put": {"TableName": self.accounts_table, "Item": _dump({
                "pk": "wallets", "sk": f"{link.merchant_id}#{link.customer_id}", "merchant_id": link.merchant_id,
                "customer_id": link.customer_id, "wallet": link.wallet, "nonce": link.nonce}),
                "ConditionExpression": "attribute_not_exists(pk) OR wallet = :w",
                "ExpressionAttributeValues": _dump({":w": link.wallet})}}
        if isinstance(record, RedemptionWrite):
            put = {"TableName": self.accounts_table, "Item": _dump(redemption_item(record.redemption))}
            if record.expected_status is None:
                put["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                put.update(ConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
                           ExpressionAttributeValues=_dump({":s": record.expected_status}))
            return {"Put": put}
        result = record.result
        return {"Put": {"TableName": self._journal(), "Item": _dump({
            "batch_id": result.batch_id, "status": result.status, "orders": _orders_json(result.orders),
            "signature": result.signature, "fee_lamports": result.fee_lamports, "rent_lamports": result.rent_lamports,
            "reason": result.reason, "attempts": result.attempts}),
            "ConditionExpression": "attribute_not_exists(batch_id) OR #s = :p",
            "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": _dump({":p": "pending"})}}

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self.client.get_item(TableName=self.accounts_table, ConsistentRead=True, Key=_dump({"pk": pk, "sk": sk}))
        return _load(found["Item"]) if "Item" in found else None

    def _get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The accounts table's items at `keys` (pk, sk), strongly consistent, in one BatchGetItem; the keys
        DynamoDB leaves unprocessed (throttling, its 16 MB answer limit) are asked again, at most
        BATCH_GET_ATTEMPTS requests in all, then UnprocessedReads."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        pending = [_dump({"pk": pk, "sk": sk}) for pk, sk in dict.fromkeys(keys)]
        for attempt in range(BATCH_GET_ATTEMPTS):
            if attempt:
                time.sleep(min(BATCH_GET_BACKOFF * 2 ** (attempt - 1), 1.0))
            answer = self.client.batch_get_item(RequestItems={
                self.accounts_table: {"Keys": pending, "ConsistentRead": True}})
            for raw in answer.get("Responses", {}).get(self.accounts_table, []):
                item = _load(raw)
                found[(item["pk"], item["sk"])] = item
            pending = answer.get("UnprocessedKeys", {}).get(self.accounts_table, {}).get("Keys", [])
            if not pending:
                return found
        raise UnprocessedReads(f"{len(pending)} of {len(keys)} keys still unprocessed after "
                               f"{BATCH_GET_ATTEMPTS} BatchGetItem requests")

    def event_reads(self, merchant_id: str, payment_id: str, event_id: str, customer_id: str | None, *,
                    category: bool) -> EventReads:
        """One BatchGetItem for the event's marker, the payment record, the event's customer's account and the
        merchant's category; a second read only when the record names another customer than the event."""
        payment_pk = _payment_pk(merchant_id, payment_id)
        marker, record_key = (payment_pk, f"event#{event_id}"), (payment_pk, "payment")
        account_key_ = (_account_pk(merchant_id, customer_id), "account") if customer_id else None
        category_key = (f"{merchant_id}#merchant", "category")
        keys = [marker, record_key] + ([account_key_] if account_key_ else []) + ([category_key] if category else [])
        found = self._get_many(keys)
        record = payment_from(found[record_key]) if record_key in found else None
        customer = record.customer_id if record else customer_id
        if not customer:
            account = None
        elif customer == customer_id:
            account = account_from(found[account_key_]) if account_key_ in found else Account(merchant_id, customer)
        else:
            account = self.account(merchant_id, customer)
        return EventReads(marker in found, record, account,
                          found[category_key].get("category") if category and category_key in found else None)

    def account(self, merchant_id: str, customer_id: str) -> Account:
        item = self._get(_account_pk(merchant_id, customer_id), "account")
        return account_from(item) if item else Account(merchant_id, customer_id)

    def payment(self, merchant_id: str, payment_id: str) -> PaymentRecord | None:
        item = self._get(_payment_pk(merchant_id, payment_id), "payment")
        return payment_from(item) if item else None

    def event_applied(self, merchant_id: str, payment_id: str, event_id: str) -> bool:
        return self._get(_payment_pk(merchant_id, payment_id), f"event#{event_id}") is not None

    def merchant_category(self, merchant_id: str) -> str | None:
        item = self._get(f"{merchant_id}#merchant", "category")
        return item.get("category") if item else None

    def put_merchant_category(self, merchant_id: str, category: str | None, at: datetime) -> None:
        self.client.put_item(TableName=self.accounts_table, Item=_dump({
            "pk": f"{merchant_id}#merchant", "sk": "category", "merchant_id": merchant_id, "category": category,
            "updated_at": at.isoformat()}))

    def history(self, merchant_id: str, customer_id: str, *, limit: int, before_seq: int | None = None) -> list[Entry]:
        condition, values = "account_key = :k", {":k": account_key(merchant_id, customer_id)}
        if before_seq is not None:
            condition += " AND seq < :b"
            values[":b"] = before_seq
        out, start = [], None
        while len(out) < limit:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            page = self.client.query(TableName=self.ledger_table, IndexName=BY_SEQ, KeyConditionExpression=condition,
                                     ExpressionAttributeValues=_dump(values), ScanIndexForward=False,
                                     ConsistentRead=True, Limit=limit - len(out), **kwargs)
            out += [entry_from(_load(i)) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return out[:limit]

    def _commit(self, changes: list[Change], event: tuple[str, str, str] | None, records: list[Record] = ()) -> None:
        items: list[dict[str, Any]] = []
        replays: set[int] = set()  # indexes whose failed condition means "applied before"
        for c in changes:
            if c.entries:
                before = c.account_before.seq
                items.append({"Put": {"TableName": self.accounts_table, "Item": _dump(account_item(c.account)),
                              **({"ConditionExpression": "seq = :s", "ExpressionAttributeValues": _dump({":s": before})}
                                 if before else {"ConditionExpression": "attribute_not_exists(pk)"})}})
            for e in c.entries:
                replays.add(len(items))
                items.append({"Put": {"TableName": self.ledger_table, "Item": _dump(entry_item(e)),
                                      "ConditionExpression": "attribute_not_exists(entry_id)"}})
            if c.payment is not None and c.payment != c.payment_before:
                version = c.payment_before.version if c.payment_before else 0
                items.append({"Put": {"TableName": self.accounts_table, "Item": _dump(payment_item(c.payment, version + 1)),
                              **({"ConditionExpression": "version = :v", "ExpressionAttributeValues": _dump({":v": version})}
                                 if version else {"ConditionExpression": "attribute_not_exists(pk)"})}})
        if event is not None:
            merchant_id, payment_id, event_id = event
            replays.add(len(items))
            items.append({"Put": {"TableName": self.accounts_table, "ConditionExpression": "attribute_not_exists(pk)",
                                  "Item": _dump({"pk": _payment_pk(merchant_id, payment_id), "sk": f"event#{event_id}",
                                                 "merchant_id": merchant_id, "event_id": event_id})}})
        for record in records:
            if isinstance(record, BatchOutcomeWrite):
                replays.add(len(items))
            items.append(self._record_item(record))
        if not items:
            return
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
            failed = {i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
            if failed and failed <= replays:
                raise AlreadyApplied(event) from e
            raise ConcurrentChange(str(event)) from e
