"""Which DynamoDB requests the stack's moto middleware (smartpay_shared.local.moto_server.SerialDynamoDB) lets run
side by side: a batch takes its items' locks as a transaction does, so batches of other items run beside it and
a write of one of its items waits for it. Pure locking logic: the app behind the middleware is a stand-in that
notes who is inside (the real server's consistency is in tests/integration/test_moto_atomicity.py)."""

import io
import json
import threading
import time

from smartpay_shared.local.moto_server import SerialDynamoDB


class Recorder:
    """A WSGI app that notes which requests were inside at once. A request named in `meet` stays inside until each
    partner named there has come in (5 s at most: a partner its locks keep out never does), then `hold` seconds
    more; the others stay `hold` seconds. So an overlap the locks allow is seen however loaded the machine is, and
    a request the locks should keep out would be seen too, while the one it waits for is inside."""

    def __init__(self, hold: float = 0.05, meet: dict[str, set[str]] | None = None):
        self.hold, self.meet = hold, meet or {}
        self.inside, self.entered, self.overlaps = set(), set(), set()
        self.cond = threading.Condition()

    def __call__(self, environ, start_response):
        name = environ["test.name"]
        with self.cond:
            self.overlaps.update(frozenset((name, other)) for other in self.inside)
            self.inside.add(name)
            self.entered.add(name)
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.meet.get(name, set()) <= self.entered, timeout=5)
        time.sleep(self.hold)
        with self.cond:
            self.inside.discard(name)
        start_response("200 OK", [])
        return [b"{}"]


def request(operation: str, body: dict, name: str) -> dict:
    raw = json.dumps(body).encode()
    return {"HTTP_X_AMZ_TARGET": f"DynamoDB_20120810.{operation}", "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": io.BytesIO(raw), "test.name": name}


def key(pk: str) -> dict:
    return {"pk": {"S": pk}}


def run_together(app, requests: list[dict]) -> None:
    threads = [threading.Thread(target=lambda r=r: app(r, lambda *a: None)) for r in requests]
    for t in threads:
        t.start()
        time.sleep(0.01)  # in this order
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads), "deadlock"


def batch_get(name: str, *keys: tuple[str, str]) -> dict:
    asked: dict = {}
    for table, pk in keys:
        asked.setdefault(table, {"Keys": []})["Keys"].append(key(pk))
    return request("BatchGetItem", {"RequestItems": asked}, name)


def test_batches_of_other_items_run_side_by_side_and_a_write_of_their_item_waits():
    recorder = Recorder(meet={"batch 1": {"batch 2", "get e"}, "batch 2": {"batch 1"}})
    run_together(SerialDynamoDB(recorder), [
        batch_get("batch 1", ("t", "a"), ("u", "b")),
        batch_get("batch 2", ("t", "c"), ("u", "d")),  # other items: beside batch 1
        request("GetItem", {"TableName": "t", "Key": key("e")}, "get e"),  # another item: beside both
        request("UpdateItem", {"TableName": "u", "Key": key("b"), "UpdateExpression": "SET x = :x"}, "update b"),
        request("BatchWriteItem", {"RequestItems": {"t": [{"DeleteRequest": {"Key": key("c")}}]}}, "delete c"),
    ])
    pairs = recorder.overlaps
    assert frozenset(("batch 1", "batch 2")) in pairs and frozenset(("batch 1", "get e")) in pairs
    assert frozenset(("batch 1", "update b")) not in pairs  # b is batch 1's item
    assert frozenset(("batch 2", "delete c")) not in pairs  # c is batch 2's item


def test_batches_naming_the_same_items_in_opposite_orders_never_wait_on_each_other():
    recorder = Recorder(hold=0.02)
    items = [("t", f"k{n}") for n in range(8)] + [("u", f"k{n}") for n in range(8)]
    run_together(SerialDynamoDB(recorder), [batch_get(f"b{n}", *(items if n % 2 else items[::-1])) for n in range(12)])
    assert not recorder.overlaps  # all named the same items: one at a time, and all finished


def test_a_query_waits_for_a_batch_reading_its_table_and_a_batch_that_cannot_be_told_runs_alone():
    recorder = Recorder(meet={"batch": {"query v"}})
    run_together(SerialDynamoDB(recorder), [
        batch_get("batch", ("t", "a")),
        request("Query", {"TableName": "t", "KeyConditionExpression": "pk = :p"}, "query t"),
        request("Query", {"TableName": "v", "KeyConditionExpression": "pk = :p"}, "query v"),
    ])
    assert frozenset(("batch", "query t")) not in recorder.overlaps
    assert frozenset(("batch", "query v")) in recorder.overlaps
    recorder = Recorder()
    run_together(SerialDynamoDB(recorder), [
        request("BatchGetItem", {"RequestItems": {"t": {"Keys": "not a list"}}}, "odd batch"),
        request("GetItem", {"TableName": "v", "Key": key("z")}, "get z"),
    ])
    assert not recorder.overlaps  # a batch whose items cannot be told runs alone, as before
