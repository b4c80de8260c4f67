"""`make scan-secrets`: after `make demo`, look through everything the local stack keeps (its logs, the
EventBridge archive, every SQS queue and DLQ, every DynamoDB table, the chat index, the S3 buckets,
CloudWatch Logs and the Terraform state) for card numbers and for the secret values stored in Secrets
Manager. Exit 1 with the location and a redacted hit on any find, 2 if a place could not be read in full.

Run it after the demo, once the queues are drained: it reads every SQS message once (each read counts
toward the queue's maxReceiveCount), puts it back at once, and reports an error when a queue holds more
messages than it could read (messages in flight, or a consumer racing the scan).

What counts as a card number is `smartpay_shared.pan` (the one definition, shared with the API's error
redaction, the API's card guard and the services' input checks; the false-positive policy is in
docs/secrets.md): 13-19 Luhn-valid digits starting with 2-6, bare or grouped by spaces, dashes or dots, not
touching a letter, read as a person reads the text: JSON \\uXXXX escapes decoded (stored items and messages
are serialised JSON), NFKC, every script's decimal digits as ASCII, zero-width characters, soft hyphens and
other invisible characters removed, Unicode spaces and dashes as separators. So fullwidth digits, Arabic-Indic
or Devanagari digits and digits joined by zero-width spaces are hits like plain ones.
Anything left is a hit: there is no allowlist; a false positive is looked at, not waved through."""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from smartpay_shared import pan  # the one card-number definition

# --- pure logic ----------------------------------------------------------------------------------------
MIN_NEEDLE = 12  # shorter secret fragments would match by chance
# A merchant webhook signing secret (Standard Webhooks: whsec_ + base64 of 32 bytes), wherever it appears.
WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9+/]{40,}={0,2}")
luhn_valid = pan.luhn_valid
redact_card = pan.mask  # first six / last four, as PCI DSS allows


def find_cards(text: str) -> list[str]:
    """Card numbers in `text` (ASCII digits only, whatever script or disguise they were written in), by
    smartpay_shared.pan."""
    return [m.digits for m in pan.find(text)]


def redact_secret(value: str) -> str:
    return f"{value[:4]}...[{len(value)} chars]"


def _keypair_forms(value: str) -> list[str]:
    """A base58 Solana keypair also leaks as its bytes: hex, base64, a JSON byte list, the seed's hex."""
    if not re.fullmatch(r"[1-9A-HJ-NP-Za-km-z]{80,90}", value):
        return []
    try:
        from solders.keypair import Keypair

        raw = bytes(Keypair.from_base58_string(value))
    except (ImportError, ValueError):
        return []
    return [raw.hex(), base64.b64encode(raw).decode(), json.dumps(list(raw)), json.dumps(list(raw), separators=(",", ":")),
            raw[:32].hex()]


def secret_needles(values: Iterable[str]) -> dict[str, str]:
    """needle -> the secret it comes from. A multi-line value (a PEM key) leaks line by line too."""
    needles: dict[str, str] = {}
    for value in values:
        forms = [value, *_keypair_forms(value)]
        forms += [line.strip() for line in value.splitlines() if "-----" not in line]
        for form in forms:
            if len(form) >= MIN_NEEDLE:
                needles[form] = value
    return needles


@dataclass(frozen=True)
class Hit:
    kind: str  # "card" | "secret"
    location: str
    redacted: str


@dataclass
class Scanner:
    needles: dict[str, str]
    hits: list[Hit] = field(default_factory=list)
    scanned: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def scan(self, source: str, location: str, text: str) -> None:
        self.scanned[source] += 1
        for digits in find_cards(text):
            self.hits.append(Hit("card", location, redact_card(digits)))
        for needle, secret in self.needles.items():
            if needle in text:
                self.hits.append(Hit("secret", location, redact_secret(secret)))
        for secret in WEBHOOK_SECRET.findall(text):  # stored KMS-encrypted only: any plain one is a leak
            self.hits.append(Hit("secret", location, redact_secret(secret)))


def secret_values_of(secret_string: str | None) -> list[str]:
    from smartpay_payment.adapters.secrets import parse_secret_string, secret_values

    return secret_values(parse_secret_string(secret_string))


# --- where the stack keeps things ------------------------------------------------------------------
def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def stored_secret_values(sm) -> list[str]:
    values: list[str] = []
    for page in sm.get_paginator("list_secrets").paginate():
        for secret in page["SecretList"]:
            try:
                values += secret_values_of(sm.get_secret_value(SecretId=secret["ARN"]).get("SecretString"))
            except sm.exceptions.ResourceNotFoundException:
                continue  # a secret without a value yet
    return values


def scan_files(scanner: Scanner, state: Path) -> None:
    files = [*sorted((state / "logs").glob("*.log")), *sorted(state.glob("terraform/**/terraform.tfstate*"))]
    for path in files:
        source = "logs" if path.suffix == ".log" else "terraform_state"
        with open(path, encoding="utf-8", errors="replace") as lines:
            for n, line in enumerate(lines, 1):
                scanner.scan(source, f"{path.relative_to(state)}:{n}", line)


def scan_archive(scanner: Scanner, events, sqs, timeout: float = 120.0) -> None:
    """No API lists an archive's events, so each archive is replayed into a temporary queue, through a
    temporary rule matching only this replay (the services' rules exclude replayed events); then the rule
    and the queue are deleted. An archive that gives back fewer events than it counts is an error."""
    import uuid
    from datetime import UTC, datetime

    for archive in events.list_archives().get("Archives", []):
        found = events.describe_archive(ArchiveName=archive["ArchiveName"])
        bus_arn, name = found["EventSourceArn"], f"secret-scan-{uuid.uuid4().hex[:10]}"
        bus = bus_arn.rsplit("/", 1)[1]
        queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        try:
            rule_arn = events.put_rule(Name=name, EventBusName=bus,
                                       EventPattern=json.dumps({"replay-name": [name]}))["RuleArn"]
            sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                    "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})})
            events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "scan", "Arn": queue_arn}])
            events.start_replay(ReplayName=name, EventSourceArn=found["ArchiveArn"],
                                EventStartTime=datetime(2000, 1, 1, tzinfo=UTC), EventEndTime=datetime.now(UTC),
                                Destination={"Arn": bus_arn, "FilterArns": [rule_arn]})
            received = _drain_replay(scanner, events, sqs, name, queue_url, found["ArchiveName"], timeout)
            expected = found.get("EventCount", 0)
            if received < expected:
                scanner.errors.append(f"archive {found['ArchiveName']}: {expected} events archived, "
                                      f"{received} replayed to the scan")
        finally:
            try:
                events.remove_targets(Rule=name, EventBusName=bus, Ids=["scan"])
                events.delete_rule(Name=name, EventBusName=bus)
            finally:
                sqs.delete_queue(QueueUrl=queue_url)


def _drain_replay(scanner: Scanner, events, sqs, replay: str, queue_url: str, archive: str, timeout: float) -> int:
    received, idle, deadline = 0, 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = events.describe_replay(ReplayName=replay)["State"]
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for message in batch:
            body = message["Body"]
            event_id = json.loads(body).get("id") if body.startswith("{") else message["MessageId"]
            scanner.scan("archive_events", f"archive {archive} event {event_id}", body)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            received += 1
        idle = 0 if batch else idle + 1
        if state in ("COMPLETED", "FAILED", "CANCELLED") and idle >= 2:
            if state != "COMPLETED":
                scanner.errors.append(f"archive {archive}: replay {state}")
            return received
    scanner.errors.append(f"archive {archive}: replay not over within {timeout:.0f}s")
    return received


QUEUE_COUNTS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


def scan_queues(scanner: Scanner, sqs, visibility_seconds: int = 60, max_messages: int = 100_000) -> None:
    """Every message of every queue, each received once: it stays hidden (`visibility_seconds`) until the
    queue is read through, so no receive returns it twice, then is made visible again at once. Fewer
    messages read than the queue counts (in flight, or arriving meanwhile) is an error, not "clean"."""
    for page in sqs.get_paginator("list_queues").paginate():
        for url in page.get("QueueUrls", []):
            scanner.scanned["sqs_queues"] += 1
            _scan_queue(scanner, sqs, url, visibility_seconds, max_messages)


def _scan_queue(scanner: Scanner, sqs, url: str, visibility_seconds: int, max_messages: int) -> None:
    name = url.rsplit("/", 1)[1]
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=QUEUE_COUNTS)["Attributes"]
    expected = sum(int(counts.get(k, 0)) for k in QUEUE_COUNTS)
    seen: set[str] = set()
    handles: list[str] = []
    try:
        while len(seen) < max_messages:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=visibility_seconds,
                                        WaitTimeSeconds=0, AttributeNames=["All"],
                                        MessageAttributeNames=["All"]).get("Messages", [])
            new = [m for m in batch if m["MessageId"] not in seen]
            handles += [m["ReceiptHandle"] for m in batch]
            if not new:
                break
            for message in new:
                seen.add(message["MessageId"])
                scanner.scan("sqs_messages", f"sqs {name} message {message['MessageId']}",
                             message["Body"] + _text(message.get("MessageAttributes", {})))
    finally:
        _make_visible(sqs, url, handles)
    if len(seen) < expected:
        scanner.errors.append(f"sqs {name}: {expected} messages counted, {len(seen)} read (messages in flight "
                              "or a consumer running: scan after the demo, once the queues are drained)")


def _make_visible(sqs, url: str, handles: list[str]) -> None:
    for i in range(0, len(handles), 10):
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": str(n), "ReceiptHandle": h, "VisibilityTimeout": 0} for n, h in enumerate(handles[i:i + 10])])


def scan_tables(scanner: Scanner, dynamodb) -> None:
    for page in dynamodb.get_paginator("list_tables").paginate():
        for table in page["TableNames"]:
            for items in dynamodb.get_paginator("scan").paginate(TableName=table):
                for item in items["Items"]:
                    key = {k: next(iter(v.values())) for k, v in item.items() if k in ("payment_id", "pk", "id")}
                    scanner.scan("dynamodb_items", f"dynamodb {table} {_text(key) if key else ''}".strip(),
                                 _text(item))


def scan_duckdb(scanner: Scanner, path: Path, attempts: int = 20) -> None:
    """The chat index: opened read-only (the chat worker opens it per call, so the lock frees quickly)."""
    import duckdb

    for attempt in range(attempts):
        try:
            db = duckdb.connect(str(path), read_only=True)
            break
        except duckdb.IOException as e:
            if not path.exists():
                # a read copy the live writer replaced and removed after the listing: its rows are in the index
                # file itself (scanned too), and a copy that no longer exists holds nothing to leak
                return
            if attempt == attempts - 1:
                scanner.errors.append(f"chat index {path}: {e}")
                return
            time.sleep(0.25)
    try:
        for (table,) in db.execute("SELECT table_name FROM information_schema.tables").fetchall():
            cursor = db.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the catalog)
            names = [d[0] for d in cursor.description]
            for row in cursor.fetchall():
                record = dict(zip(names, row, strict=True))
                scanner.scan("chat_rows", f"chat {path.name}:{table} {record.get('payment_id', '')}".strip(),
                             _text(record))
    finally:
        db.close()


def scan_buckets(scanner: Scanner, s3, max_bytes: int = 20 * 2**20) -> None:
    for bucket in s3.list_buckets().get("Buckets", []):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for obj in page.get("Contents", []):
                if obj["Size"] > max_bytes:
                    scanner.errors.append(f"s3://{bucket['Name']}/{obj['Key']}: {obj['Size']} bytes, not scanned")
                    continue
                body = s3.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read()
                scanner.scan("s3_objects", f"s3://{bucket['Name']}/{obj['Key']}",
                             obj["Key"] + "\n" + body.decode("utf-8", errors="replace"))


def scan_log_groups(scanner: Scanner, logs) -> None:
    for page in logs.get_paginator("describe_log_groups").paginate():
        for group in page["logGroups"]:
            for events in logs.get_paginator("filter_log_events").paginate(logGroupName=group["logGroupName"]):
                for event in events["events"]:
                    scanner.scan("cloudwatch_events", f"logs {group['logGroupName']} {event.get('logStreamName')}",
                                 event["message"])


def chat_index_files(state: Path, repo: Path) -> list[Path]:
    import os

    candidates = {*state.glob("chat/*.duckdb"), *(repo / ".local").glob("chat/*.duckdb")}
    if os.environ.get("CHAT_INDEX_PATH"):
        candidates.add(Path(os.environ["CHAT_INDEX_PATH"]))
    return sorted(p for p in candidates if p.exists())


def run(endpoint: str, state: Path, repo: Path, region: str = "us-east-1") -> Scanner:
    import boto3

    from botocore.config import Config

    session = boto3.session.Session(region_name=region)
    config = Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=60)
    client = lambda name: session.client(name, endpoint_url=endpoint, config=config)  # noqa: E731
    try:
        values = stored_secret_values(client("secretsmanager"))
    except Exception as e:  # nothing to compare with: the scan cannot say "clean"
        scanner = Scanner({})
        scanner.errors.append(f"secretsmanager at {endpoint}: {type(e).__name__}: {str(e)[:200]}")
        return scanner
    scanner = Scanner(secret_needles(values))
    scanner.scanned["secret_needles"] = len(scanner.needles)
    if not values:
        scanner.errors.append("secretsmanager: no secret values stored (run `smartpay payment put-secrets`)")
    steps = [("files", lambda: scan_files(scanner, state)),
             ("archive", lambda: scan_archive(scanner, client("events"), client("sqs"))),
             ("sqs", lambda: scan_queues(scanner, client("sqs"))),
             ("dynamodb", lambda: scan_tables(scanner, client("dynamodb"))),
             ("s3", lambda: scan_buckets(scanner, client("s3"))),
             ("cloudwatch", lambda: scan_log_groups(scanner, client("logs"))),
             *((f"chat {p}", lambda p=p: scan_duckdb(scanner, p)) for p in chat_index_files(state, repo))]
    for name, step in steps:
        try:
            step()
        except Exception as e:  # one unreadable place must not hide the others; it still fails the scan
            scanner.errors.append(f"{name}: {type(e).__name__}: {str(e)[:200]}")
    return scanner


def report(scanner: Scanner, out=sys.stdout) -> int:
    for hit in scanner.hits:
        print(f"HIT {hit.kind:6} {hit.location}: {hit.redacted}", file=out)
    for error in scanner.errors:
        print(f"ERROR {error}", file=out)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(scanner.scanned.items()))
    print(f"scanned: {counts}; hits: {len(scanner.hits)}; errors: {len(scanner.errors)}", file=out)
    return 1 if scanner.hits else 2 if scanner.errors else 0


def _stack_defaults() -> tuple[str, Path, Path]:
    import os

    from smartpay_shared.local import stack

    paths = stack.stack_paths()
    try:
        endpoint = stack.load_stack()["aws_endpoint_url"]
    except FileNotFoundError:
        endpoint = os.environ.get("AWS_ENDPOINT_URL", stack.DEFAULT_ENDPOINT)
    return endpoint, paths.state, paths.root


def main(argv: list[str] | None = None) -> int:
    import os

    endpoint, state, repo = _stack_defaults()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=endpoint, help="AWS endpoint (default: the running local stack's)")
    parser.add_argument("--state-dir", type=Path, default=state, help="the stack's state dir (logs, terraform)")
    parser.add_argument("--json-report", type=Path, help="also write counts, hits (redacted) and errors here")
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")  # the emulator's; never real credentials
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    scanner = run(args.endpoint, args.state_dir, repo, os.environ.get("AWS_REGION", "us-east-1"))
    code = report(scanner)
    if args.json_report:
        args.json_report.write_text(json.dumps({"scanned": scanner.scanned, "errors": scanner.errors,
                                                "hits": [h.__dict__ for h in scanner.hits]}, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main())
