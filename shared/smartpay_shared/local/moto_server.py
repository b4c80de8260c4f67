"""moto's server, with DynamoDB's atomicity: `python -m smartpay_shared.local.moto_server -H host -p port`.

moto serves each request on its own thread and its DynamoDB backend takes no lock: a conditional
write checks its condition and writes in two steps, so two concurrent `UpdateItem`s with the same
`ConditionExpression` (version = 7) can both succeed. Real DynamoDB never lets that happen, and the
payment saga's correctness rests on it (every transition, the charge claim, idempotency keys): on
plain moto three concurrent deliveries of one route charged twice. This wraps moto's own WSGI app
(the same app `moto_server` runs, unchanged otherwise) so that DynamoDB requests on one item run one
at a time (a request of another item runs beside it), a Query or Scan runs with nothing else on its
table (moto iterates the table's dict, which a concurrent insert would change under it), a transaction or a
batch (BatchGetItem, BatchWriteItem) takes its own items' locks (see Transactions below), and table changes run
alone; the other services
stay concurrent. An upstream fix would
take these locks inside moto's backend; this is the smallest outside patch with the same effect. (One
lock for all of DynamoDB was the first version: under 25 concurrent workers its wait made a
conditional write cost 178-566 ms, bench_saga.)

Event delivery: for every target a rule matches (each SQS delivery and the archive's copy of each event), moto's
`EventTemplateParser.parse` compiles eight JSONPath expressions with jsonpath_ng, whose PLY parser rebuilds its
tables on every call. `cache_event_paths` memoises jsonpath_ng's `parse` (an expression is immutable and `find` is
pure, so deliveries are the same; shared/tests/unit/test_moto_patches.py compares them with and without): a
PutEvents on a bus shaped like the stack's costs 3.4x less of moto's CPU (12.97 -> 3.84 ms, bench/bench_moto_events.py,
docs/benchmarks.md). Upstream, moto would compile its fixed default paths once.

Dispatch: moto's `DomainDispatcherApplication` picks the backend of every request under one process-wide lock,
and on the way lists moto's package directory (`host in list_of_moto_modules()`: ~150 `isdir` calls) and then tries
~300 URL patterns; `Dispatcher` remembers the backend per host (a pure function of the host for an installed moto).
werkzeug also logged a line per request through `logging` (a lock and a write per request); `QuietHandler` logs no
request line (`ServerErrorLog` logs the 5xx answers). `BaseResponse.call_action` listed its class's methods with `inspect.getmembers` on every request (3.5 %
of moto's GIL samples under the saga's call mix); `cache_action_names` remembers them per class. Every SDK call of the stack's
JSON-protocol services (DynamoDB, SQS, EventBridge: `POST /` with X-Amz-Target, no Origin) then went through Flask
(a request context, URL matching, session handling, flask-cors' after-request hook, response finalising) only for
Flask to call moto's `convert_to_flask_response`: `Dispatcher` now calls that view itself (`call_json_view`: moto's
own request class and callback, the same ClientError -> 400, the `Access-Control-Allow-Origin: *` flask-cors adds
to an answer for a request without Origin), when the app registers nothing else around its views (`json_view`);
any other request (REST and query protocols, a browser's, moto's own API) goes through Flask as before.
test_moto_patches compares status, headers and bodies of both paths, errors included. In process (the whole WSGI
app, thread CPU): a GetItem 0.27-0.31 -> 0.20-0.24 ms, a GetQueueAttributes 0.24 -> 0.17 ms; in the stack
(bench_saga_cpu, 100 sagas at 2/s, base and patched stacks side by side, session 16) moto's process CPU per saga
73.4 -> 69.3 ms with this cut alone, 84.8 -> 74.8 and 81.2 -> 73.5 with lean_update_answers too. A py-spy profile of the stack's moto under bench_saga load (2,509 samples) had 36 % of the samples in
dispatch, 7 % listing moto's directory, 14 % in the request log.

Search domains: `report_domain_processing_status` adds the `DomainProcessingStatus` AWS returns and moto leaves
out, which hashicorp/aws 5.x waits on after creating a domain.

Queues: moto's `Queue.attributes` computes the three approximate message counts, each a scan of every message in
the queue with two clock reads per message, and moto builds `attributes` for one plain setting on every SendMessage
and three times per received message (its retention check). A send or receive therefore cost O(queue length), and
under overload the backlog made every call slower, which grew the backlog: in-process, a SendMessage took 3.7 ms
beside 250 messages and 96 ms beside 5,000; a ReceiveMessage of 10, 135 ms and 2.8 s. `fast_queue_attributes` skips
the counts inside those calls (nothing there reads them): 0.9-1.2 ms and 6-50 ms. What is left of a receive is
moto's scan for visible messages, which read the clock twice per message (a py-spy profile of the stack's moto at
16 payments/s: 20 % of its samples); it now reads it once per scan. A DeleteMessage built every message's list of
receipt handles twice; it now compares the handle in place. Each received message's receipt handle was 185
`random.choice` calls, and so was every answer's request id (`fast_random_strings`: the same letters from the
same draws in a few C calls). A GetQueueAttributes that asks
for a count still counts exactly as moto does (test_moto_patches compares a queue's whole story with and without).

Transactions: moto's TransactWriteItems deep-copied every table it named (its rollback backup), O(table size)
per transaction under the server-wide lock, so each rewards event (one transaction over the growing ledger
tables) stopped every DynamoDB request of the stack for longer and longer. In the first bench_saga run with the
rewards service in the stack, 8/s offered completed 2.87/s at p99 61 s (4.51/s the day before without it); this
cost is the likely cause, not yet confirmed by a run on a quiet machine with the patch. `item_level_transactions` backs up only the items
the transaction names, and the middleware takes those items' locks (its tables shared) instead of the whole
server; test_moto_patches compares a transaction story with plain moto, test_moto_atomicity races transactions
against single writes on one item.

Updates: moto validates an UpdateExpression with ten walks of its tree, and two of them (action counts, overlapping
paths) search the whole subtree at every node of it; the expression is also parsed twice per request. The payment
record's write has 9-13 actions. `fast_update_validation` runs those two checks only where they can find something
(same order, same errors) and parses each expression text once: moto's CPU for that write 3.08 -> 1.91 ms, its outbox
clear 0.54 -> 0.36 ms (bench/bench_moto_dynamodb.py). A first version checked at the root only (1.41 ms) but answered
two invalid expressions differently from moto (a review found them; they are now in the test). In a stack at 4
payments/s (120 payments, thread CPU per request, one variant after the other), moto's CPU for the payments table's
UpdateItems was 38.8 ms per saga with moto as released and 23.7 ms with that first version (the moto process's whole
CPU 111.8 -> 94.9 ms per saga); this version, measured the same way later: 24.6 ms (moto process 88.8 ms per saga). test_moto_patches compares a story of valid and invalid updates with plain
moto.

`reuse_update_validation` (session 14, `python -m bench saga_cpu`: UpdateItem was moto's costliest action per saga,
9.3 calls and 40 ms of its threads' CPU): moto's validator deep-copied the parsed tree on every request and ran the
action-count and overlapping-paths checks again; the copy is now a pickle of the tree made once per text, and those
two pure checks run once per (expression, names) that passed them. In process (the save + outbox clear of
bench_moto_dynamodb's shape, thread CPU of the handler): 1.79 -> 0.99 ms per UpdateItem.
`fast_event_pattern_reject` (same session; PutEvents was next, 5 calls and 17-23 ms per saga): moto offers each event
to every rule of the bus and each rule's match first round-trips the whole event through JSON; a rule whose pattern
names a top-level field among plain strings (the stack's rules: `detail-type`) now answers False at once when the
event's string is not among them, as moto's match answers. In process (bench_moto_events' bus of 35 rules + the
archive, every other patch on, CPU per PutEvents): 2.88 -> 1.90 ms.
`fast_put_events` (session 15): moto still built a fresh message per rule before that reject (a deep copy of its base
message and a `json.loads` of the Detail, per rule); a rule the reject would refuse is now skipped before its message
is built (measured figures: docs/benchmarks.md, saga_cpu).
`lean_update_answers` (session 16): moto's UpdateItem handler deep-copied and serialised the stored item before every
update for the old-value answers; with ReturnValues NONE (every update of the stack) it no longer does (in process,
the payment save + outbox clear: 0.39-0.77 -> 0.35-0.44 ms per UpdateItem, a noisy host).

Serialisation: moto 5.2 writes every answer by walking the operation's botocore output shape and picks each member
of each structure through six alias providers (objects built per member per value); a DynamoDB item is a map of
AttributeValue structures of ten members each, so an item of 32 attributes cost ~320 picks, and its parser walks
the same shapes over every item, key and value map it is sent. Under cProfile with the stack's call mix (an item of
32 attributes, SQS, EventBridge) the serialiser was 55 % of moto's CPU. `fast_dynamodb_serialisation` writes and
reads a map of AttributeValue directly when every value is a plain {type: value} of the types moto's items hold
(strings, numbers, booleans, NULL, string and number sets, nested maps and lists); a binary anywhere (moto
base64-encodes it), a None or anything unusual takes moto's own walk for the whole map. `linear_item_size_check`:
moto built an item by inserting its attributes one by one into a dict whose every insert summed the size of all
attributes already in it (the 400 KB check: O(attributes²), ~8 % of the CPU); the constructor now keeps the sum.
`cache_name_conversions` memoises moto's camelCase -> snake_case conversion (~110 per SQS send + receive, 6.5 %).
test_moto_patches compares moto's raw answers byte for byte, with and without, over every attribute type. Measured
(`python -m bench moto_dynamodb`, whole WSGI app, thread CPU, an item of 32 attributes; machine at load 25): one round
of the stack's 9 common calls 37.2 -> 20.1 ms (0.54; an earlier run at load 8.5: 0.52); GetItem 4.31 -> 1.64 ms,
a BatchGetItem of 4 keys 14.5 -> 4.1, Query 4.8 -> 2.2, PutItem 2.4 -> 1.9, SQS 0.84-1.02x, UpdateItem unchanged.
The gain grows with an item's attribute count; the stack's busiest items (the payment record) hold few attributes,
and a one-off stack A/B (30 sagas each, one after the other at load 20-28) did not resolve a difference per saga
(docs/benchmarks.md).

Connections: moto's own server is werkzeug's development server, which answers every request with
`Connection: close` (werkzeug cannot drain a request body before reading the next request line), so every boto3
call of every stack process opened a TCP connection and moto started a thread for it: under bench_saga at 3/s the
payment worker alone opened 16 connections a second, ~4,000 sockets sat in TIME-WAIT, and accepting connections
and starting threads took ~40 % of moto's GIL samples (py-spy). `main` therefore serves the same WSGI app with
cheroot by default (CherryPy's HTTP/1.1 server: keep-alive for every idle connection, not cheroot's default of
10; idle connections parked in a selector and closed after 60 s; a fixed pool of `--threads` threads, which must
exceed the concurrent SQS long polls). Measured:
- beside werkzeug (8 threads of PutItem, GetItem, SendMessage; machine loaded): moto's CPU per request 1.49-1.63
  ms against 2.00-2.23 ms;
- bench_saga A/B on 2026-12-06, the two servers one after the other at a similar machine load (4-6): at 4/s
  offered, werkzeug completed 3.42/s (p99 11.7 s, 413 ms CPU per saga), cheroot 4.00/s (p99 1.7 s, 340 ms);
  at 6/s, 3.58/s against 4.81/s;
- a 10-minute stress (`bench/moto_stress.py`) of 40 long-polling slots, 12 bursty clients idle for up to 65 s (past the 60 s idle
  expiry) and 26,000 calls: no call slower than 2 s. An earlier stack run (session 10, machine loaded, cheroot
  then closing all but 10 idle connections) stalled 15 s once; it was not seen again in three stack runs and
  the stress, and its cause was not found. `--server werkzeug` keeps moto's own server.
Not kept from werkzeug: moto's handler that preserves underscores in header names (S3 user metadata such as
`x-amz-meta-a_b`; nothing here sends such metadata). `ServerErrorLog` logs 5xx answers under either server.

It also counts what it serves (`GET /_smartpay/requests`: per API action, requests, seconds spent answering them and
the CPU their threads spent; `?tables=1` adds DynamoDB actions per table), so a benchmark can read a saga's exact call
mix and where the emulator's time goes."""

from __future__ import annotations

import argparse
import copy
import functools
import io
import json
import re
import signal
import string
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

DYNAMODB_TARGET = "DynamoDB_"  # X-Amz-Target: DynamoDB_20120810.UpdateItem
STATS_PATH = "/_smartpay/requests"
TABLE_KEY = "smartpay.dynamodb_table"


def action_of(environ: dict[str, Any]) -> str:
    """`DynamoDB_20120810.UpdateItem` -> `DynamoDB.UpdateItem`; a REST call (S3, Lambda, X-Ray): its
    method and first path segment."""
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        service, _, operation = target.partition(".")
        return f"{service.split('_')[0]}.{operation}"
    path = str(environ.get("PATH_INFO", "/")).strip("/").split("/")[0]
    return f"{environ.get('REQUEST_METHOD', 'GET')} /{path}"


class RequestStats:
    """WSGI middleware: per action, how many requests, how long moto took to answer them (wall) and the CPU its
    thread spent on them (`thread_time`: without the time waiting for the GIL or a lock)."""

    def __init__(self, app: Callable):
        self.app = app
        self.lock = threading.Lock()
        self.counts: dict[str, list[float]] = {}  # action -> [n, seconds, cpu seconds]
        self.by_table: dict[str, list[float]] = {}  # "DynamoDB.UpdateItem table-name" -> the same

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == STATS_PATH:
            # `?tables=1`: DynamoDB actions split by table as well (keys "<action> <table>").
            with self.lock:
                counts = {**self.counts, **self.by_table} if "tables=1" in environ.get("QUERY_STRING", "") \
                    else self.counts
                body = json.dumps({k: {"n": int(n), "seconds": round(t, 6), "cpu_seconds": round(c, 6)}
                                   for k, (n, t, c) in counts.items()})
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body.encode()]
        started, cpu_started = time.perf_counter(), time.thread_time()
        try:
            return list(self.app(environ, start_response))
        finally:
            elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
            action = action_of(environ)
            with self.lock:
                self._add(self.counts, action, elapsed, cpu)
                if TABLE_KEY in environ:
                    self._add(self.by_table, f"{action} {environ[TABLE_KEY]}", elapsed, cpu)

    @staticmethod
    def _add(counts: dict[str, list[float]], name: str, elapsed: float, cpu: float) -> None:
        entry = counts.setdefault(name, [0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += elapsed
        entry[2] += cpu


class RWLock:
    """Many shared holders or one exclusive holder; a waiting exclusive one stops new shared ones."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


ITEM_OPERATIONS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}
TABLE_OPERATIONS = {"Query", "Scan", "DescribeTable", "DescribeTimeToLive", "UpdateTimeToLive",
                    "DescribeContinuousBackups", "UpdateContinuousBackups", "ListTagsOfResource"}
MULTI_ITEM_OPERATIONS = {"TransactWriteItems", "TransactGetItems", "BatchGetItem", "BatchWriteItem"}
STRIPES = 256


class SerialDynamoDB:
    """WSGI middleware: DynamoDB requests that touch one item run one at a time per item (all of its
    request answered inside the lock), those that read a whole table (Query, Scan) one at a time per
    table with no item request of that table running, a transaction or a batch with its items' locks (one
    global order), and anything else (a transaction or batch whose items cannot be told, table creation) alone.
    Requests of other services pass straight through."""

    def __init__(self, app: Callable):
        self.app = app
        self.everything = RWLock()
        self.tables: dict[str, RWLock] = {}
        self.items = [threading.Lock() for _ in range(STRIPES)]
        self.key_names: dict[tuple[str, str], tuple[str, ...]] = {}
        self.lock = threading.Lock()  # guards the two dicts above

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if not target.startswith(DYNAMODB_TARGET):
            return self.app(environ, start_response)
        operation = target.partition(".")[2]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        table = request.get("TableName") if isinstance(request, dict) else None
        if isinstance(table, str):
            environ[TABLE_KEY] = table  # for RequestStats' per-table counts
        with self._locked(operation, table, request, environ):
            return list(self.app(environ, start_response))

    @contextmanager
    def _locked(self, operation: str, table: str | None, request: dict, environ: dict[str, Any]) -> Iterator[None]:
        if operation in MULTI_ITEM_OPERATIONS and (targets := self._request_items(operation, request, environ)):
            # Its items' locks (and its tables' shared ones), taken in one global order: tables sorted, then
            # stripes sorted, and no stripe held while a table lock is awaited, so no two requests wait on
            # each other. Safe beside other writers because `item_level_transactions` undoes only its items;
            # a batch is not atomic in DynamoDB either (each of its items is, as here).
            with self.everything.shared(), ExitStack() as held:
                for name in sorted({t for t, _ in targets}):
                    held.enter_context(self._table_lock(name).shared())
                for stripe in sorted({hash(target) % STRIPES for target in targets}):
                    held.enter_context(self.items[stripe])
                yield
            return
        if not isinstance(table, str) or operation not in ITEM_OPERATIONS | TABLE_OPERATIONS:
            with self.everything.exclusive():
                yield
            return
        with self.everything.shared():
            table_lock = self._table_lock(table)
            key = self._item_key(operation, table, request, environ) if operation in ITEM_OPERATIONS else None
            if key is None:
                with table_lock.exclusive():
                    yield
                return
            with table_lock.shared(), self.items[hash((table, key)) % STRIPES]:
                yield

    def _table_lock(self, table: str) -> RWLock:
        with self.lock:
            return self.tables.setdefault(table, RWLock())

    def _request_items(self, operation: str, request: dict, environ: dict[str, Any]) -> list[tuple[str, str]] | None:
        """(table, key as JSON) of every item a transaction or a batch touches; None when one cannot be told (then
        it runs alone, as before)."""
        if operation in ("TransactWriteItems", "TransactGetItems"):
            entries = request.get("TransactItems") or [None]
            singles = [next(iter(e.items())) if isinstance(e, dict) and len(e) == 1 else (None, None) for e in entries]
            named = [(body.get("TableName") if isinstance(body, dict) else None, kind, body) for kind, body in singles]
        else:  # BatchGetItem: {table: {"Keys": [key, ...]}}; BatchWriteItem: {table: [{"PutRequest": {"Item"}} ...]}
            tables = request.get("RequestItems")
            if not isinstance(tables, dict) or not tables:
                return None
            named = []
            for table, asked in tables.items():
                if operation == "BatchGetItem":
                    keys = asked.get("Keys") if isinstance(asked, dict) else None
                    if not isinstance(keys, list) or not keys:
                        return None
                    named += [(table, "Get", {"Key": key}) for key in keys]
                    continue
                if not isinstance(asked, list) or not asked:
                    return None
                for entry in asked:
                    kind, body = next(iter(entry.items())) if isinstance(entry, dict) and len(entry) == 1 else (None, None)
                    named.append((table, {"PutRequest": "Put", "DeleteRequest": "Delete"}.get(kind), body))
        targets = []
        for table, kind, body in named:
            if not isinstance(table, str) or kind is None or not isinstance(body, dict):
                return None
            key = self._item_key("PutItem" if kind == "Put" else kind, table, body, environ)
            if key is None:
                return None
            targets.append((table, key))
        return targets

    def _item_key(self, operation: str, table: str, request: dict, environ: dict[str, Any]) -> str | None:
        """The item's key as JSON; None when it cannot be told (then the whole table is locked)."""
        if operation != "PutItem":
            key = request.get("Key")
            return json.dumps(key, sort_keys=True) if isinstance(key, dict) else None
        names = self._key_names(table, environ)
        item = request.get("Item")
        if not names or not isinstance(item, dict) or any(n not in item for n in names):
            return None
        return json.dumps({n: item[n] for n in names}, sort_keys=True)

    def _key_names(self, table: str, environ: dict[str, Any]) -> tuple[str, ...] | None:
        """The table's key attributes from moto's own backend (this process), by the request's region."""
        match = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/", str(environ.get("HTTP_AUTHORIZATION", "")))
        region = match.group(1) if match else "us-east-1"
        with self.lock:
            if (region, table) in self.key_names:
                return self.key_names[(region, table)]
        try:
            from moto.core import DEFAULT_ACCOUNT_ID
            from moto.dynamodb.models import dynamodb_backends

            found = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables.get(table)
            names = tuple(n for n in (found.hash_key_attr, found.range_key_attr) if n) if found else None
        except Exception:  # noqa: BLE001 - unknown layout: the caller locks the whole table
            names = None
        if names:
            with self.lock:
                self.key_names[(region, table)] = names
        return names


def fast_update_validation() -> None:
    """moto validates an UpdateExpression by walking its AST once per validator (ten of them), and two of them
    (action counts, overlapping paths) run `find_clauses` over the whole subtree at every node, because every
    action, path and value node is an `UpdateExpression` subclass. The payment record's conditional write has 9-13
    actions (~300 nodes), so validation was two thirds of an UpdateItem's time (cProfile; `python -m bench
    moto_dynamodb` measures it). Same checks, same order, same errors: those two validators now run only at the
    nodes whose subtree can hold a clause or an action (the nested `UpdateExpression`s, the clauses, the nested
    `...Actions` lists), in moto's own post-order; at any other node (an action, a path, a value, a function) the
    subtree holds none, so moto's check there finds nothing and raises nothing. Each walker builds its class ->
    handler map once per walk instead of once per node. And the expression is parsed once per distinct text, not
    twice per request (moto's handler parses it to list the names it uses, its backend again to validate): every
    user of the parsed tree only reads it (the validator works on its own deep copy), so one parse serves every
    request."""
    from moto.dynamodb.parsing import ast_nodes, validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    if getattr(UpdateExpressionParser.make, "cache_info", None) is None:
        UpdateExpressionParser.make = staticmethod(functools.lru_cache(maxsize=2048)(UpdateExpressionParser.make))

    containers = {ast_nodes.UpdateExpression, *(getattr(ast_nodes, f"UpdateExpression{kind}{part}")
                                                 for kind in ("Set", "Remove", "Add", "Delete")
                                                 for part in ("Clause", "Actions"))}

    def containers_only(self: Any, node: Any) -> Any:
        """moto's post-order walk, processing only the containers (both validators return the node unchanged)."""
        if isinstance(node, Node):
            for child in node.children or ():
                containers_only(self, child)
            if type(node) in containers:
                self.process(node)
        return node

    validators.ActionCountValidator.traverse = containers_only
    validators.OverlappingPathsValidator.traverse = containers_only

    def processing_map(self: Any) -> dict:
        cached = self.__dict__.get("_smartpay_map")
        if cached is None:
            cached = self.__dict__["_smartpay_map"] = self._processing_map()
            self.__dict__["_smartpay_nodes"] = tuple(cached)
        return cached

    def nodes_to_be_processed(self: Any) -> tuple:
        processing_map(self)
        return self.__dict__["_smartpay_nodes"]

    def process(self: Any, node: Any) -> Any:
        for class_key, processor in processing_map(self).items():
            if isinstance(node, class_key):
                return processor(node)
        return None

    DepthFirstTraverser.nodes_to_be_processed = nodes_to_be_processed
    DepthFirstTraverser.process = process


_NO_OLD_ITEM = threading.local()  # set while an UpdateItem with ReturnValues NONE runs on this thread


def lean_update_answers() -> None:
    """moto's UpdateItem handler deep-copies the stored item and serialises it before every update, for the answers
    that show old attributes (ALL_OLD, UPDATED_OLD, UPDATED_NEW); with ReturnValues NONE (every update the stack
    sends: the payment record's saves and outbox clears, the idempotency keys, rewards) the copy and its JSON are
    thrown away unread (the answer then drops `Attributes`). For those requests the handler's copy is skipped (its
    `copy.deepcopy` of the stored item answers None, so moto compares the new item with no old attributes, which
    nothing reads); the stored item is still read first, so a missing table answers as before. Other ReturnValues
    run moto's handler unchanged; the backend's own copies (streams, transactions) are another module's.
    test_moto_patches compares raw answers and the stored items over every ReturnValues with and without."""
    from moto.dynamodb import responses

    handler = responses.DynamoHandler.update_item
    if getattr(handler, "_smartpay_lean", False):
        return
    real = responses.copy

    class LeanCopy:
        """`copy` as moto.dynamodb.responses sees it: deepcopy answers None inside an UpdateItem without old values."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        @staticmethod
        def deepcopy(value: Any, memo: dict | None = None) -> Any:
            return None if getattr(_NO_OLD_ITEM, "on", False) else real.deepcopy(value, memo)

    @functools.wraps(handler)
    def update_item(self: Any) -> Any:
        if self.body.get("ReturnValues", "NONE") != "NONE":
            return handler(self)
        _NO_OLD_ITEM.on = True
        try:
            return handler(self)
        finally:
            _NO_OLD_ITEM.on = False

    update_item._smartpay_lean = True  # type: ignore[attr-defined]
    responses.copy = LeanCopy()
    responses.DynamoHandler.update_item = update_item


def fast_event_pattern_reject() -> None:
    """moto's PutEvents offers every event to every rule of the bus, and each rule's `EventPattern.matches_event`
    first round-trips the whole event through `json.dumps` + `json.loads` and flattens it, then matches. On the
    stack's bus (~36 rules, an event matching one of them and the archive) that is ~35 round trips of a 3-5 kB
    event per PutEvents for rules that fail on their first field. Now a rule whose pattern asks for a top-level
    field among plain strings (`"detail-type": ["payment.completed"]`, `"source": [...]`) answers False at once when
    the event's field is a string that is not among them, which is what moto's match answers there (a string equal
    to none of the filters fails that field, and every field must match). Anything else (a named filter, `$or`, a
    field that is not a string) takes moto's own path. test_moto_patches compares the answers with moto's."""
    from moto.events.models import EventPattern

    if getattr(EventPattern, "_smartpay_fast_reject", False):
        return
    original = EventPattern.matches_event

    def matches_event(self: Any, event: Any) -> bool:
        fields = _plain_fields(self)
        if fields and isinstance(event, dict):
            for key, allowed in fields:
                value = event.get(key)
                if type(value) is str and value not in allowed:
                    return False
        return original(self, event)

    EventPattern.matches_event = matches_event
    EventPattern._smartpay_fast_reject = True


def _plain_fields(pattern_object: Any) -> tuple[tuple[str, frozenset], ...]:
    """The rule pattern's top-level fields among plain strings (what `fast_event_pattern_reject` checks),
    remembered on the pattern object."""
    fields = pattern_object.__dict__.get("_smartpay_plain_fields")
    if fields is None:
        pattern = pattern_object._pattern
        fields = () if not isinstance(pattern, dict) else tuple(
            (key, frozenset(filters)) for key, filters in pattern.items()
            if key != "$or" and isinstance(filters, list) and filters and all(type(f) is str for f in filters))
        pattern_object.__dict__["_smartpay_plain_fields"] = fields
    return fields


def fast_put_events() -> None:
    """moto's `put_events` builds, for every rule of the bus, a fresh event message before offering it to the rule:
    a `copy.deepcopy` of its base message, `json.loads` of the entry's Detail (3-5 kB here), two clock reads, then
    `send_to_targets`, whose first step is the rule's match. On the stack's bus (~36 rules, an event matching one or
    two) almost every message is built to be rejected on its first field by `fast_event_pattern_reject`. Now a
    rule whose plain-string fields reject the entry's top-level strings (version, id, detail-type, source, account,
    region: the same strings moto's message would hold) is skipped before its message is built; every other rule
    gets the message moto builds, in moto's order, and moto's own `send_to_targets`. Skipping has no other effect:
    a rejected rule's `send_to_targets` returns at its match, which reads nothing else and writes nothing. The
    validation and the entries answered are moto's (the same code, copied from moto 5.2.5; on another moto, whose
    `put_events` differs, nothing is patched). test_moto_patches compares deliveries and answers with plain moto."""
    import copy
    import inspect
    import json as json_module
    import warnings

    import moto.events.models as models
    from moto.events.models import EventsBackend

    if getattr(EventsBackend.put_events, "smartpay_fast", False):
        return
    try:
        source = inspect.getsource(EventsBackend.put_events)
    except (OSError, TypeError):
        return
    if "copy.deepcopy(_BASE_EVENT_MESSAGE)" not in source or "rule.send_to_targets(event_msg)" not in source:
        return  # another moto: its own put_events
    fast_event_pattern_reject()  # the skip is exactly that reject, taken earlier

    def rejects(rule: Any, probe: dict[str, str]) -> bool:
        pattern = getattr(rule, "event_pattern", None)
        if pattern is None or not hasattr(pattern, "_pattern"):
            return False
        for key, allowed in _plain_fields(pattern):
            value = probe.get(key)
            if value is not None and value not in allowed:
                return True
        return False

    def put_events(self: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(events) > 10:
            raise models.ValidationException(
                "1 validation error detected: "
                "Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy constraint: "
                "Member must have length less than or equal to 10"
            )
        entries = []
        for event in events:
            if not event.get("Source"):
                entries.append({"ErrorCode": "InvalidArgument",
                                "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument."})
            elif not event.get("DetailType"):
                entries.append({"ErrorCode": "InvalidArgument",
                                "ErrorMessage": "Parameter DetailType is not valid. Reason: DetailType is a required argument."})
            elif not event.get("Detail"):
                entries.append({"ErrorCode": "InvalidArgument",
                                "ErrorMessage": "Parameter Detail is not valid. Reason: Detail is a required argument."})
            else:
                try:
                    detail = json_module.loads(event["Detail"])
                    if not isinstance(detail, dict):
                        warnings.warn(
                            f"EventDetail should be of type dict - types such as {type(detail)} are ignored by AWS",
                            stacklevel=2,
                        )
                except ValueError:
                    entries.append({"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."})
                    continue
                event_id = str(models.random.uuid4())
                entries.append({"EventId": event_id})
                event_bus = self.describe_event_bus(self._normalize_event_bus_arn(event.get("EventBusName")))
                # the message's top-level strings as moto sets them (a non-string stays out: moto's match decides)
                probe = {key: value for key, value in (
                    ("version", models._BASE_EVENT_MESSAGE.get("version")), ("id", event_id),
                    ("detail-type", event["DetailType"]), ("source", event["Source"]),
                    ("account", self.account_id), ("region", self.region_name)) if type(value) is str}
                for rule in list(event_bus.rules.values()):  # moto iterates the live dict: a PutRule meanwhile failed it
                    if rejects(rule, probe):
                        continue
                    event_msg = copy.deepcopy(models._BASE_EVENT_MESSAGE)
                    event_msg["id"] = event_id
                    event_msg["detail-type"] = event["DetailType"]
                    event_msg["source"] = event["Source"]
                    event_msg["account"] = self.account_id
                    event_msg["time"] = event.get("Time", models.unix_time())
                    event_msg["region"] = self.region_name
                    event_msg["resources"] = event.get("Resources", [])
                    event_msg["detail"] = json_module.loads(event["Detail"])
                    event_msg["ingestion-time"] = models.unix_time()
                    rule.send_to_targets(event_msg)
        return entries

    put_events.smartpay_fast = True  # type: ignore[attr-defined]
    put_events.__doc__ = EventsBackend.put_events.__doc__
    EventsBackend.put_events = put_events  # type: ignore[method-assign]


def reuse_update_validation(size: int = 2048) -> None:
    """Two costs of every UpdateItem left after `fast_update_validation` (cProfile of the payment record's save
    and outbox clear, `python -m bench moto_dynamodb`'s shapes): moto's `Validator` deep-copies the parsed tree
    (`copy.deepcopy`, ~300 nodes: a quarter of the handler's time), and the action-count and overlapping-paths
    checks search it again on every request (another quarter). Both depend only on the expression's text (the tree
    `UpdateExpressionParser.make` remembers per text) and, for the paths, the ExpressionAttributeNames:
    - the copy is `pickle.loads` of the tree pickled once (the same fresh tree of the same node objects: the
      validator still works on its own copy, the remembered tree is never touched);
    - the two checks run once per (tree, values of the names they read) that passed them; a failing one runs (and
      raises) every time. The overlap check reads only the names that are a whole action path (`#s = :s`); the
      first version keyed by every name, and the payment record's save names its outbox entries by event id
      (`#o.#e0`, new in every request), so a save with events never hit (session 19: a one-off in-process measure, not a
      bench target, of the save + outbox clear shapes: 2.52 -> 1.76 ms per UpdateItem, one round each at load ~5; in the
      stack ~5 % of a call, docs/benchmarks.md; and `passed` no longer grows by one key per save).
    The other eight processors (values, names against the item, functions, types, keys) run on every request, as
    before. shared/tests/unit/test_moto_patches.py compares the update story with plain moto."""
    import pickle

    from moto.dynamodb.parsing import validators

    cls = validators.UpdateExpressionValidator
    if getattr(cls, "_smartpay_reused", False):
        return
    from moto.dynamodb.parsing import ast_nodes

    pure = (validators.ActionCountValidator, validators.OverlappingPathsValidator)
    actions = [ast_nodes.UpdateExpressionSetAction, ast_nodes.UpdateExpressionAddAction,
               ast_nodes.UpdateExpressionRemoveAction, ast_nodes.UpdateExpressionDeleteAction]
    lock = threading.Lock()
    # id(tree) -> (tree, its pickle, the names the overlap check reads): the tree is held, so its id stays its
    pickled: dict[int, tuple[Any, bytes, tuple[str, ...]]] = {}
    passed: set[tuple[int, tuple]] = set()  # (id(tree), those names' values) whose two pure checks passed

    def read_names(tree: Any) -> tuple[str, ...]:
        """The placeholders whose values `OverlappingPathsValidator` reads: those that are a whole action path
        (`#s = ...`); a path of several parts (`#o.#e0`) it compares as written, and the action-count check reads
        no name. Its answer is therefore a function of the tree and these placeholders' values alone."""
        found = set()
        for action in tree.find_clauses(actions):
            path = action.children[0]
            if isinstance(path.children[0], ast_nodes.ExpressionAttributeName) and len(path.children) == 1:
                found.add(path.children[0].get_attribute_name_placeholder())
        return tuple(sorted(found))

    def copy_of(tree: Any) -> Any:
        with lock:
            entry = pickled.get(id(tree))
        if entry is None or entry[0] is not tree:
            try:
                entry = (tree, pickle.dumps(tree, protocol=pickle.HIGHEST_PROTOCOL), read_names(tree))
            except Exception:  # noqa: BLE001 - a tree pickle cannot take: moto's own deep copy
                return copy.deepcopy(tree)
            with lock:
                if len(pickled) >= size:
                    pickled.clear()
                    passed.clear()
                pickled[id(tree)] = entry
        return pickle.loads(entry[1])

    def __init__(self: Any, expression: Any, expression_attribute_names: dict[str, str],
                 expression_attribute_values: dict[str, dict[str, Any]], item: Any, table: Any) -> None:
        self.expression_attribute_names = expression_attribute_names
        self.expression_attribute_values = expression_attribute_values
        self.item = item
        self.table = table
        self.processors = self.get_ast_processors()
        self.node_to_validate = copy_of(expression)
        self._smartpay_tree = expression

    def validate(self: Any) -> Any:
        processors, names, tree = self.processors, self.expression_attribute_names, self._smartpay_tree
        # moto runs the two pure checks first; anything else (another moto) runs every processor as moto does
        cacheable = isinstance(names, dict) and len(processors) > 2 and all(
            isinstance(p, kind) for p, kind in zip(processors, pure, strict=False))
        with lock:  # held trees only: an id in `passed` is that tree's while it is in `pickled`
            entry = pickled.get(id(tree))
        held = entry is not None and entry[0] is tree
        # keyed by the values of the names the checks read, not by every name: the payment record's save names
        # its outbox entries by event id (`#o.#e0`), new in every request, which missed a whole-names key always
        key = (id(tree), tuple(names.get(k) for k in entry[2])) if cacheable and held else None
        cacheable = key is not None
        with lock:
            known = key in passed and pickled.get(id(tree), (None,))[0] is tree
        node = self.node_to_validate
        for i, processor in enumerate(processors):
            if known and i < len(pure):
                continue
            node = processor.traverse(node)
            if cacheable and not known and i == len(pure) - 1:
                with lock:
                    if pickled.get(id(tree), (None,))[0] is tree:
                        passed.add(key)
        return node

    cls.__init__ = __init__
    cls.validate = validate
    cls._smartpay_reused = True


class _Unusual(Exception):
    """A value the fast DynamoDB serialisation does not take: moto's own serialiser answers it."""


def _attribute_value(value: Any) -> dict[str, Any]:
    """An AttributeValue as moto's JSON serialiser writes it, for the shapes moto's own items hold ({type: value}
    with one type): S and N strings, BOOL and NULL booleans, SS and NS lists of strings, M and L of the same, as
    they are. Anything else (B and BS, which moto base64-encodes; None; an empty or many-typed dict; another type
    of value) raises _Unusual."""
    if type(value) is dict and len(value) == 1:
        ((kind, inner),) = value.items()
        if kind in ("S", "N"):
            if type(inner) is str:
                return {kind: inner}
        elif kind in ("BOOL", "NULL"):
            if type(inner) is bool:
                return {kind: inner}
        elif kind in ("SS", "NS"):
            if type(inner) is list and all(type(i) is str for i in inner):
                return {kind: list(inner)}
        elif kind == "M":
            if type(inner) is dict:
                return {kind: {name: _attribute_value(v) for name, v in inner.items()}}
        elif kind == "L":
            if type(inner) is list:
                return {kind: [_attribute_value(v) for v in inner]}
    raise _Unusual


def fast_dynamodb_serialisation() -> None:
    """moto 5.2 serialises every answer by walking the operation's botocore output shape, and picks each member of
    each structure through six alias providers (objects built per member per value). A DynamoDB item is a map of
    AttributeValue structures of ten members each, so an item of 30 attributes costs ~300 picks: under the saga's
    call mix the serialiser was 55 % of moto's CPU (cProfile, `python -m bench moto_dynamodb`). moto's items
    reach the serialiser already as {type: value} dicts (`dynamo_to_dict`), which the walk writes out unchanged
    but for B and BS (base64). So an attribute map (`AttributeMap`, `Key`, `ExpressionAttributeValueMap`...: any
    map of AttributeValue) of DynamoDB's JSON serialiser is written directly when every value has one of the
    shapes `_attribute_value` takes; otherwise (a binary anywhere, a None, a response transformer) moto's own walk
    writes the whole map. shared/tests/unit/test_moto_patches.py compares the raw answers with moto's."""
    from moto.core.serialize import JSONSerializer

    original = JSONSerializer._serialize_type_map
    if getattr(original, "smartpay_fast", False):
        return

    def _serialize_type_map(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        value_shape = getattr(shape, "value", None)
        if (type(value) is dict and getattr(value_shape, "name", None) == "AttributeValue"
                and self.service_model.service_name == "dynamodb"
                and not getattr(self._value_picker, "response_transformers", None)):
            try:
                written = {name: _attribute_value(v) for name, v in value.items()}
            except _Unusual:
                pass
            else:
                self._default_serialize(serialized, written, shape, key)
                return
        original(self, serialized, value, shape, key)

    _serialize_type_map.smartpay_fast = True  # type: ignore[attr-defined]
    JSONSerializer._serialize_type_map = _serialize_type_map

    # The request side: moto's JSON parser walks the same shapes over every item, key and value map it is sent,
    # and gives back the same {type: value} dicts (strings, booleans and lists as they came: DynamoDB's JSON
    # parser has no string or boolean conversion); B and BS (base64-decoded) and anything unusual take its walk.
    from moto.core.parse import JSONParser

    parse_map = JSONParser._parse_map

    def _parse_map(self: Any, shape: Any, value: Any) -> Any:
        if (type(value) is dict and self.MAP_TYPE is dict
                and getattr(getattr(shape, "value", None), "name", None) == "AttributeValue"
                and self.operation_model.service_model.service_name == "dynamodb"):
            try:
                return {name: _attribute_value(v) for name, v in value.items()}
            except _Unusual:
                pass
        return parse_map(self, shape, value)

    JSONParser._parse_map = _parse_map


def linear_item_size_check() -> None:
    """moto builds an item (every PutItem, a new item's UpdateItem) by inserting its attributes one by one into
    a `LimitedSizeDict`, whose every insert sums the size of every attribute already in it (the 400 KB limit):
    O(attributes²) per item, ~8 % of moto's CPU under the saga's call mix. `Item.__init__` now keeps that sum as
    it inserts (nothing else touches the new dict meanwhile, so each check compares the same number against the
    same limit and raises the same ItemSizeTooLarge); the dict and every later insert are moto's own."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    if getattr(Item.__init__, "smartpay_linear", False):
        return

    def __init__(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        self.attrs = LimitedSizeDict()
        size = 0  # what LimitedSizeDict.__setitem__ sums: every key and value already inserted
        for key, value in attrs.items():
            typed = DynamoType(value)
            added = typed.size()
            if size + bytesize(key) + added > 405000:  # moto's limit (LimitedSizeDict)
                raise ItemSizeTooLarge
            dict.__setitem__(self.attrs, key, typed)
            size += bytesize(str(key)) + added

    __init__.smartpay_linear = True  # type: ignore[attr-defined]
    Item.__init__ = __init__


def cache_event_paths(size: int = 1024) -> None:
    """Memoise jsonpath_ng's `parse`, which moto's EventBridge calls per target per event (see above)."""
    import jsonpath_ng.ext

    if not hasattr(jsonpath_ng.ext.parse, "cache_info"):
        jsonpath_ng.ext.parse = functools.lru_cache(maxsize=size)(jsonpath_ng.ext.parse)


def item_level_transactions() -> None:
    """moto's `transact_write_items` deep-copies every table the transaction names before it starts, to put the
    whole table back if one of its conditions fails: O(table size) of CPU per transaction (the rewards ledger's
    tables grow with every payment), and a put-back that would erase what other requests wrote meanwhile.
    This keeps moto's own code for the writes and conditions and replaces only the backup: the items the
    transaction names, copied before and restored (or deleted) on failure."""
    import copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "item_level", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []  # (table, hash, range, the item as it was or None): what a failure puts back
        for entry in transact_items:
            kind, op = next(iter(entry.items())) if isinstance(entry, dict) and entry else (None, None)
            table = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            attrs = (op.get("Item") if kind == "Put" else op.get("Key")) if table is not None else None
            if not isinstance(attrs, dict) or table.hash_key_attr not in attrs or (
                    table.range_key_attr and table.range_key_attr not in attrs):
                continue  # moto refuses it before writing anything
            try:
                hash_value = DynamoType(attrs[table.hash_key_attr])
                range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
                found = table.get_item(hash_value, range_value)
            except Exception:  # noqa: BLE001 - an invalid key: moto refuses it itself
                continue
            saved.append((table, hash_value, range_value, copy.deepcopy(found)))
        try:
            return original(self, transact_items)
        except BaseException:
            for table, hash_value, range_value, item in reversed(saved):
                if item is None:
                    table.delete_item(hash_value, range_value)
                elif range_value is not None:
                    table.items[hash_value][range_value] = item
                else:
                    table.items[hash_value] = item
            raise

    transact_write_items.item_level = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items
    models.copy = _TableBackupIsTheTable  # moto's "backup" of a table is the table; its put-back, a no-op


class _TableBackupIsTheTable:
    """The `copy` module as moto.dynamodb.models sees it once patched. That module deep-copies in two places:
    an item before an update (unchanged here) and every table a transaction names (its backup, which the
    patch makes unnecessary): a table is returned as itself."""

    @staticmethod
    def deepcopy(value: Any, memo: dict | None = None) -> Any:
        import copy

        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def cache_action_names() -> None:
    """Memoise the method names of a response class, which moto's `BaseResponse.call_action` lists with
    `inspect.getmembers` on every request (~3.5 % of the server's CPU under the saga's call mix): a class's
    methods do not change while the server runs."""
    import moto.core.responses as responses

    if not hasattr(responses.method_names_from_class, "cache_info"):
        responses.method_names_from_class = functools.lru_cache(maxsize=None)(responses.method_names_from_class)


def cache_name_conversions(size: int = 4096) -> None:
    """Memoise moto's `camelcase_to_underscores` (a pure function of a string) where the request path calls it:
    every request's action name (`BaseResponse.call_action`) and every attribute name of SQS's `Queue.attributes`,
    which moto builds on every SendMessage and per received message: ~110 conversions per send + receive, 6.5 %
    of moto's CPU under the saga's call mix (cProfile). Bounded, in case a caller converts names from requests."""
    import moto.core.responses as responses
    import moto.core.utils as utils
    import moto.sqs.models as sqs_models

    convert = utils.camelcase_to_underscores
    if hasattr(convert, "cache_info"):
        return
    cached = functools.lru_cache(maxsize=size)(convert)
    for module in (utils, responses, sqs_models):
        module.camelcase_to_underscores = cached


def report_domain_processing_status() -> None:
    """hashicorp/aws 5.x waits, after creating an Elasticsearch/OpenSearch domain, for its `DomainProcessingStatus`
    to be `Active`: a field AWS returns and moto 5.2 leaves out, so the wait fails at once ("unexpected state ''").
    Add it to moto's domain status, from moto's own `Processing` flag."""
    from moto.opensearch.models import OpenSearchDomain

    original = OpenSearchDomain.to_dict
    if getattr(original, "smartpay_patched", False):
        return

    def to_dict(self: Any) -> dict[str, Any]:
        status = original(self)
        status.setdefault("DomainProcessingStatus", "Modifying" if status.get("Processing") else "Active")
        return status

    to_dict.smartpay_patched = True  # type: ignore[attr-defined]
    OpenSearchDomain.to_dict = to_dict  # type: ignore[method-assign]



def function_copies_share_logs() -> None:
    """moto's Lambda deep-copies a function to answer CreateFunction with `Publish` (the version it returns) and
    ListFunctions (each `$LATEST`), and a function holds a reference to the account's CloudWatch Logs backend: each
    copy copied every log group in the region. Besides the cost, a log group created by another request during the
    copy fails it ("dictionary changed size during iteration": a 500 after the function was stored); the provider's
    retry then meets 409 "Function already exist", which hashicorp/aws 5.x retries for five minutes and fails the
    apply (session 14's CI: `smartpay-payment-worker`, 4m50s then 409, while other roots created their log groups).
    Copies now share the backend, as the original does; everything else is copied as before."""
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction.__dict__.get("__deepcopy__"), "smartpay_patched", False):
        return

    def __deepcopy__(self: Any, memo: dict) -> Any:
        backend = self.__dict__.get("logs_backend")
        if backend is not None:
            memo[id(backend)] = backend
        copied = self.__class__.__new__(self.__class__)
        memo[id(self)] = copied
        # moto's own state (its __getstate__ leaves out a Docker client, as a plain deep copy does)
        copied.__dict__.update({name: copy.deepcopy(value, memo) for name, value in self.__getstate__().items()})
        return copied

    __deepcopy__.smartpay_patched = True  # type: ignore[attr-defined]
    LambdaFunction.__deepcopy__ = __deepcopy__  # type: ignore[attr-defined]


_partition = threading.local()


def partition_queries() -> None:
    """moto's Query on a table (not an index) lists every item of the table, sorted by key, then keeps the
    query's partition: each Query cost O(n log n) in the table's size, so a table that grows makes every read of
    it slower (a rewards test building a 900-purchase log spent half its moto time there, 547 s in all). While a
    base-table Query with a partition key runs, `all_items` gives that partition alone, in the same order (the
    query's own filter and sort then see exactly the items they kept before). So does a Query on a local secondary
    index (its partition key is the table's: the rewards ledger's `by_seq`, read once per customer by the offer
    training, which timed out a clean-clone CI at load 15); global secondary index queries are unchanged."""
    import inspect

    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "smartpay_patched", False):
        return
    original_query, original_all_items = Table.query, Table.all_items
    signature = inspect.signature(original_query)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs).arguments
        hash_key, index_name = bound.get("hash_key"), bound.get("index_name")
        if hash_key is None or index_name and not _on_table_partition(self, index_name):
            return original_query(self, *args, **kwargs)
        _partition.value = (self, hash_key)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _partition.value = None

    def all_items(self: Any) -> Any:
        hint = getattr(_partition, "value", None)
        if hint is None or hint[0] is not self:
            return original_all_items(self)
        part = self.items.get(hint[1])
        if part is None:
            return []
        if self.range_key_attr:
            return sorted(part.values(), key=lambda item: item.range_key)
        return [part]

    query.smartpay_patched = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]


def _on_table_partition(table: Any, index_name: str) -> bool:
    """Is `index_name` a local secondary index of `table` (partitioned by the table's own partition key)?"""
    for index in table.indexes or ():
        if index.name == index_name:
            hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
            return hashes == [table.hash_key_attr]
    return False


_no_counts = threading.local()
QUEUE_COUNTS = ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
                "approximate_number_of_messages_not_visible")


def _skipping_counts(method: Callable) -> Callable:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previous = getattr(_no_counts, "on", False)
        _no_counts.on = True
        try:
            return method(*args, **kwargs)
        finally:
            _no_counts.on = previous
    return wrapper


def _counted(prop: property) -> property:
    def get(queue: Any) -> Any:
        return None if getattr(_no_counts, "on", False) else prop.fget(queue)
    return property(get)


def fast_queue_attributes() -> None:
    """Stop moto's SQS from counting the queue on every send and every received message (see above).

    `Queue.attributes` computes the three approximate counts, each a scan of every message in the queue,
    and moto reads `attributes` for one plain setting on every SendMessage (ContentBasedDeduplication) and,
    through `get_queue_attributes`, three times per received message (MessageRetentionPeriod). Inside
    those calls the counts are now not computed (None); nothing there reads them. A GetQueueAttributes
    that asks for a count (or All) still counts, exactly as moto does."""
    from moto.sqs.models import Queue, SQSBackend

    if getattr(Queue, "_smartpay_fast_attributes", False):
        return
    for name in QUEUE_COUNTS:
        setattr(Queue, name, _counted(getattr(Queue, name)))
    SQSBackend.send_message = _skipping_counts(SQSBackend.send_message)
    SQSBackend.is_message_valid_based_on_retention_period = _skipping_counts(
        SQSBackend.is_message_valid_based_on_retention_period)
    counted = SQSBackend.get_queue_attributes

    @functools.wraps(counted)
    def get_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        if any(name == "All" or name.startswith("Approximate") for name in attribute_names):
            return counted(self, queue_name, attribute_names)
        return _skipping_counts(counted)(self, queue_name, attribute_names)

    SQSBackend.get_queue_attributes = get_queue_attributes
    Queue.messages = property(_visible_messages)
    Queue.delete_message = _delete_message
    Queue._smartpay_fast_attributes = True


def _visible_messages(queue: Any) -> list:
    """moto's `Queue.messages` (visible and not delayed) reading the clock once per scan, not twice per message:
    `Message.visible` is `now > visible_at` and `Message.delayed` is `now < delayed_until`."""
    from moto.sqs.models import unix_time_millis

    now = unix_time_millis()
    return [m for m in queue._messages if now > m.visible_at and not now < m.delayed_until]


def _delete_message(queue: Any, receipt_handle: str) -> None:
    """moto's `Queue.delete_message` without building every message's list of receipt handles twice per call."""
    from moto.sqs.exceptions import ReceiptHandleIsInvalid

    if receipt_handle in queue.deleted_messages:
        return  # already deleted: deleting it again is fine
    gone = [m for m in queue._messages if m.receipt_handle == receipt_handle or receipt_handle in m._old_receipt_handles]
    if not gone:
        raise ReceiptHandleIsInvalid()
    for message in gone:  # deleted regardless of pending state
        queue.pending_messages.discard(message)
        queue.deleted_messages.update(message.all_receipt_handles)
    ids = {id(m) for m in gone}
    queue._messages = [m for m in queue._messages if id(m) not in ids]


@functools.lru_cache(maxsize=16)
def _draw_table(pool: str) -> tuple[bytes, bytes]:
    """For `choice(pool)` (an ASCII pool of at most 256): the byte -> letter table of a draw's top byte, and the
    top bytes of the draws `choice` rejects."""
    k = len(pool).bit_length()
    letters = bytes((ord(pool[b >> (8 - k)]) if b >> (8 - k) < len(pool) else 0) for b in range(256))
    return letters, bytes(b for b in range(256) if b >> (8 - k) >= len(pool))


def _choices_as_moto_draws(rng: Any, pool: str, length: int) -> str:
    """`"".join(rng.choice(pool) for _ in range(length))`, the same letters from the same draws in a few C calls.
    `choice` of n takes `getrandbits(k)` (k = n's bit length), the top k bits of one 32-bit Mersenne Twister word,
    and draws again when they are n or more. `getrandbits(32 * m)` gives the next m words, least significant first,
    so the top byte of each word (>> (8 - k)) is one draw, a rejected draw is deleted, and no more words are taken
    than letters still needed (a word yields at most one letter): the string and the generator's state after it
    are those of moto's loop (a seeded moto answers the same; test_moto_patches compares them)."""
    letters, rejected = _draw_table(pool)
    out = b""
    while len(out) < length:
        need = length - len(out)
        words = rng.getrandbits(32 * need).to_bytes(4 * need, "little")
        out += words[3::4].translate(letters, rejected)
    return out.decode()


def _receipt_handle(length: int = 185) -> str:
    """moto's `generate_receipt_handle`: 185 x `mock_random.choice(ascii_lowercase)`."""
    from moto.moto_api._internal import mock_random

    return _choices_as_moto_draws(mock_random, string.ascii_lowercase, length)


def fast_random_strings() -> None:
    """moto's SQS builds every received message's receipt handle one letter at a time through `random.choice`
    (185 calls: ~0.3-1 ms per received message on this machine, a third of a ReceiveMessage's CPU in moto), and
    every SQS and DynamoDB answer's request id likewise (`get_random_string(52)`); both now draw the same letters
    from the same draws in a few C calls (~20 us for a handle)."""
    import moto.sqs.models as sqs_models
    import moto.sqs.utils as sqs_utils
    from moto.moto_api._internal.moto_random import MotoRandom

    if getattr(sqs_models.generate_receipt_handle, "smartpay_fast", False):
        return
    _receipt_handle.smartpay_fast = True  # type: ignore[attr-defined]
    sqs_models.generate_receipt_handle = _receipt_handle
    sqs_utils.generate_receipt_handle = _receipt_handle

    def get_random_string(self: Any, length: int = 20, include_digits: bool = True, lower_case: bool = False) -> str:
        pool = string.ascii_letters + (string.digits if include_digits else "")
        random_str = _choices_as_moto_draws(self, pool, length)
        return random_str.lower() if lower_case else random_str

    MotoRandom.get_random_string = get_random_string  # type: ignore[method-assign]


CORS_ORIGIN = "Access-Control-Allow-Origin"


def is_json_protocol(environ: dict[str, Any]) -> bool:
    """A JSON-protocol call (DynamoDB, SQS, EventBridge, ...: `POST /` naming its operation in X-Amz-Target) from
    an SDK (no Origin: not a browser's cross-origin request, whose CORS answer flask-cors works out)."""
    return (environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == "/"
            and "HTTP_X_AMZ_TARGET" in environ and "HTTP_ORIGIN" not in environ)


def json_view(app: Any, environ: dict[str, Any]) -> Any:
    """The view of `POST /` in one of moto's per-service Flask apps when calling it directly answers what Flask
    would: moto's `convert_to_flask_response` wrapper, and nothing else registered around views but flask-cors'
    after-request hook. Otherwise None (the request goes through Flask)."""
    from moto.core.utils import convert_to_flask_response
    from werkzeug.exceptions import HTTPException

    hooks = [f for funcs in app.after_request_funcs.values() for f in funcs]
    if (any(app.before_request_funcs.values()) or any(app.url_value_preprocessors.values())
            or any(app.teardown_request_funcs.values()) or any(app.url_default_functions.values())
            or any(getattr(f, "__name__", "") != "cors_after_request" for f in hooks)):
        return None
    try:
        endpoint, _ = app.url_map.bind_to_environ(environ).match()
    except HTTPException:
        return None
    view = app.view_functions.get(endpoint)
    return view if isinstance(view, convert_to_flask_response) else None


def call_json_view(app: Any, view: Any, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
    """What Flask does for a JSON-protocol request, without Flask (`flask_json_views`): moto's
    `convert_to_flask_response.__call__` on the app's own request class, plus the header flask-cors adds to an
    answer for a request without Origin."""
    from botocore.exceptions import ClientError
    from flask import Response
    from moto.core.utils import normalize_request
    from moto.moto_api import recorder
    from moto.moto_server.werkzeug_app import DISABLE_GLOBAL_CORS
    from werkzeug.exceptions import HTTPException

    request = normalize_request(app.request_class(environ))
    try:
        try:
            recorder._record_request(request)
            result = view.callback(request, request.raw_url, dict(request.headers))
        except ClientError as exc:
            result = 400, {}, exc.response["Error"]["Message"]
        status, headers, content = result if len(result) == 3 else (200, {}, result)
        response = Response(response=content, status=status, headers=headers)
    except HTTPException as e:  # Flask answers these with the exception's own response
        response = e.get_response(environ)
    if not DISABLE_GLOBAL_CORS and not response.headers.get(CORS_ORIGIN):
        response.headers.add(CORS_ORIGIN, "*")
    return response(environ, start_response)


@functools.cache
def server_classes() -> tuple[type, type]:
    """(Dispatcher, QuietHandler): moto's dispatcher and request handler with the two fixes above."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler

    class Dispatcher(DomainDispatcherApplication):
        json_direct = True  # JSON-protocol calls skip Flask (`call_json_view`); False: every call through Flask

        def __init__(self, create_app: Callable) -> None:
            super().__init__(create_app)
            self._backends: dict[str | None, Any] = {}
            self._json_views: dict[int, Any] = {}  # id(backend app) -> its view of POST / (the app is held)

        def get_backend_for_host(self, host: str | None) -> Any:
            try:
                return self._backends[host]
            except KeyError:
                backend = self._backends[host] = super().get_backend_for_host(host)
                return backend

        def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
            backend_app = self.get_application(environ)
            if not (self.json_direct and is_json_protocol(environ)):
                return backend_app(environ, start_response)
            try:
                app, view = self._json_views[id(backend_app)]
            except KeyError:
                app, view = self._json_views.setdefault(id(backend_app), (backend_app, json_view(backend_app,
                                                                                                 environ)))
            if app is not backend_app or view is None:
                return backend_app(environ, start_response)
            return call_json_view(backend_app, view, environ, start_response)

    class QuietHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """No line per request (ServerErrorLog writes the 5xx ones)."""

    return Dispatcher, QuietHandler


class ServerErrorLog:
    """WSGI middleware: one stderr line per 5xx answer (cheroot logs no requests)."""

    def __init__(self, app: Callable, stream: Any = None):
        self.app, self.stream = app, stream

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        def logging_start(status: str, headers: list, exc_info: Any = None) -> Callable:
            if status.startswith("5"):
                print(f"moto {status}: {environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')} "
                      f"{action_of(environ)}", file=self.stream or sys.stderr, flush=True)
            return start_response(status, headers, exc_info)

        return self.app(environ, logging_start)


class ReplayRetries:
    """WSGI middleware: an SDK's retry of a write this emulator already carried out gets the first answer again,
    instead of being carried out a second time.

    Every AWS SDK sends the same `amz-sdk-invocation-id` on each attempt of one operation (a new one per call) and
    says which attempt it is (`amz-sdk-request: attempt=2; max=3`). Under load a provider's attempt was sometimes
    carried out here while its answer never reached the client (hashicorp/aws 5.100 logged no response for attempt
    1 of a CreateFunction, 66 ms after sending it, then "retrying request Lambda/CreateFunction, attempt 2"; moto
    logged no error): the retry then met 409 "Function already exist" (which the provider retries for five
    minutes, then fails the apply) or "Table already exists". Where the answer went is not known (not a 5xx: none
    was logged). So the answer of each successful non-GET/HEAD request is kept for its invocation id (the newest
    `keep`, at most `budget` bytes in all, none over `max_body`), and any later request of the same invocation
    gets it; one arriving while another attempt of it is being answered waits for that one (up to `wait_seconds`,
    under the clients' 30 s read timeout), so one invocation is carried out once at a time. A request with no
    invocation id, a read, or a retry of a failed answer is carried out as before. Each replay writes one line to
    stderr (the emulator's log). This is the emulator's doing, not AWS's: a real service rarely loses an answer
    (some APIs take a client token for it), and a conditional write retried here gets its first success instead
    of ConditionalCheckFailed."""

    def __init__(self, app: Callable, keep: int = 2048, stream: Any = None, wait_seconds: float = 25.0,
                 max_body: int = 256 * 1024, budget: int = 32 * 1024 * 1024):
        from collections import OrderedDict

        self.app, self.keep, self.stream, self.wait_seconds = app, keep, stream, wait_seconds
        self.max_body, self.budget, self.size = max_body, budget, 0
        self.lock = threading.Lock()
        self.answers: OrderedDict[str, tuple[int, str, list, bytes]] = OrderedDict()  # id -> attempt, answer
        self.in_flight: dict[str, threading.Event] = {}
        self.replayed = 0

    @staticmethod
    def attempt(environ: dict[str, Any]) -> int:
        match = re.search(r"attempt=(\d+)", environ.get("HTTP_AMZ_SDK_REQUEST", ""))
        return int(match.group(1)) if match else 1

    def _claim(self, invocation: str) -> tuple[int, str, list, bytes] | threading.Event:
        """The kept answer of this invocation, or this request's turn to carry it out (its event): after waiting
        for another attempt being answered, as long as `wait_seconds` allows."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            with self.lock:
                answer = self.answers.get(invocation)
                if answer is not None:
                    self.replayed += 1
                    return answer
                running = self.in_flight.get(invocation)
                if running is None or time.monotonic() >= deadline:
                    mine = self.in_flight[invocation] = threading.Event()
                    return mine
            running.wait(max(0.0, deadline - time.monotonic()))

    def _keep(self, invocation: str, answer: tuple[int, str, list, bytes]) -> None:
        with self.lock:
            old = self.answers.pop(invocation, None)
            self.size -= len(old[3]) if old else 0
            self.answers[invocation] = answer
            self.size += len(answer[3])
            while self.answers and (len(self.answers) > self.keep or self.size > self.budget):
                self.size -= len(self.answers.popitem(last=False)[1][3])

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation or environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD"):
            return self.app(environ, start_response)
        claim = self._claim(invocation)
        if not isinstance(claim, threading.Event):
            first, status, headers, body = claim
            print(f"moto: attempt {self.attempt(environ)} of {action_of(environ)} (invocation {invocation}) answered "
                  f"with attempt {first}'s {status.split()[0]}: it was carried out, its answer was lost",
                  file=self.stream or sys.stderr, flush=True)
            start_response(status, list(headers))
            return [body]
        captured: dict[str, Any] = {}

        def capturing(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured["status"], captured["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        try:
            iterable = self.app(environ, capturing)
            try:
                body = b"".join(iterable)
            finally:
                getattr(iterable, "close", lambda: None)()
            if captured.get("status", "").startswith("2") and len(body) <= self.max_body:
                self._keep(invocation, (self.attempt(environ), captured["status"], captured["headers"], body))
            return [body]
        finally:
            with self.lock:
                if self.in_flight.get(invocation) is claim:
                    del self.in_flight[invocation]
            claim.set()


DEFAULT_THREADS = 256


def wsgi_app() -> Callable:
    """moto's WSGI app with every patch above and the middlewares (stats, DynamoDB locks, retries' replays, 5xx
    log)."""
    from moto.moto_server.werkzeug_app import create_backend_app

    cache_event_paths()
    fast_event_pattern_reject()
    fast_put_events()
    cache_action_names()
    fast_dynamodb_serialisation()
    linear_item_size_check()
    cache_name_conversions()
    fast_update_validation()
    reuse_update_validation()
    lean_update_answers()
    item_level_transactions()
    report_domain_processing_status()
    function_copies_share_logs()
    partition_queries()
    fast_queue_attributes()
    fast_random_strings()
    dispatcher, _ = server_classes()
    return ServerErrorLog(ReplayRetries(RequestStats(SerialDynamoDB(dispatcher(create_backend_app)))))


def keep_alive_server(app: Callable, host: str, port: int, threads: int = DEFAULT_THREADS) -> Any:
    """cheroot's HTTP/1.1 server over `app` (keep-alive for every idle connection, not cheroot's default of 10;
    `threads` workers; idle connections closed after 60 s)."""
    from cheroot import wsgi

    server = wsgi.Server((host, port), app, numthreads=threads, timeout=60, request_queue_size=128)
    server.keep_alive_conn_limit = None
    return server


def main(argv: list[str] | None = None) -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--server", choices=("cheroot", "werkzeug"), default="cheroot",
                        help="cheroot (HTTP/1.1 keep-alive; the default) or werkzeug (moto's own server: "
                             "a TCP connection per request). See the module docstring.")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help="cheroot: request threads (more than the stack's concurrent SQS long polls).")
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = wsgi_app()
    # Exit at once: the state is in memory only, and a stop would wait for every SQS long poll (up to 20 s).
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if args.server == "cheroot":
        keep_alive_server(app, args.host, args.port, args.threads).safe_start()
    else:
        from werkzeug.serving import run_simple

        _, handler = server_classes()
        run_simple(args.host, args.port, app, threaded=True, request_handler=handler)


if __name__ == "__main__":
    main()
