"""The secrets scan (scripts/scan_secrets.py): its card-number policy and secret matching (pure, fast),
then a small run on the real local stack — a few payments on every gateway through POST /pay, a refund —
after which the scan finds nothing, and a negative control: a card number planted in a log and in a
table, and a stored secret planted in a DLQ, each found at its location.

The stack test runs a private stack (every port its own, Redis included), next to any other stack."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import boto3
import pytest

from tests.security.scanner import scan  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SMARTPAY = str(Path(sys.executable).parent / "smartpay")




# --- the policy (pure) ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, found", [
    ("4242424242424242", ["4242424242424242"]),
    ('{"number": "4242 4242 4242 4242"}', ["4242424242424242"]),
    ("card=4000-0000-0000-0341;", ["4000000000000341"]),
    ("amex 3782 822463 10005", ["378282246310005"]),            # 4-6-5
    ("diners 3056 930902 5904", ["30569309025904"]),            # 4-6-4
    ("pm_5555555555554444", ["5555555555554444"]),              # behind an underscore
    ("2223003122003222 and 6011111111111117", ["2223003122003222", "6011111111111117"]),
    ("4242 4242 4242 4242 123", ["4242424242424242"]),          # Luhn-invalid as 19 digits: the 16 still are
    ("4242.4242.4242.4242", ["4242424242424242"]),              # dots
    ("4242 4242-4242 4242", ["4242424242424242"]),              # mixed separators
    ("amount 1000 4242 4242 4242 4242", ["4242424242424242"]),  # a group of digits just before the card
    (json.dumps({"trace": "line one\n4111111111111111\tnext"}), ["4111111111111111"]),  # after an escaped \\n
])
def test_card_numbers_are_found(text, found):
    assert scan.find_cards(text) == found


@pytest.mark.parametrize("text", [
    "4242424242424241",                       # Luhn-invalid
    "2026-12-01 11:22:33.123456",             # a timestamp: groups are not a card layout
    "20261201T113000Z",
    "1796124159498 1796124159498123 1796124159498123456",  # epoch ms / us / ns: start with 1
    "1000000000000 lamports",                 # 1,000 SOL
    "42 42 42 42 42 42 42 42",                # groups of two are no card layout
    "abc4242424242424242", "4242424242424242x", "0x4242424242424242",  # inside an identifier
    "12344242424242424242",                   # 20 digits: not a card
    "4242 4242 4242",                         # 12 digits
    "7992739871300000",                       # Luhn-valid, but 7 is not a card network
])
def test_no_false_positive(text):
    assert scan.find_cards(text) == []


def test_luhn_against_known_numbers():
    assert all(scan.luhn_valid(n) for n in ("79927398713", "4111111111111111", "378282246310005", "0"))
    assert not any(scan.luhn_valid(n) for n in ("79927398710", "4111111111111112", "1234567812345678"))


def test_redaction_keeps_at_most_first_six_and_last_four():
    assert scan.redact_card("4242424242424242") == "424242******4242"
    assert scan.redact_secret("sk_test_0123456789abcdef") == "sk_t...[24 chars]"


def test_secret_needles_cover_pem_lines_and_keypair_encodings():
    from solders.keypair import Keypair

    from smartpay_payment.adapters.gateways import amazon_pay_signing as signing
    from smartpay_payment.adapters.secrets import secret_values

    private, _ = signing.generate_key_pair()
    pair = Keypair()
    values = secret_values({"api_key": "sk_test_abcdef123456", "public_key_id": "SANDBOX-PUBLIC",
                            "private_key": private, "secret_key": str(pair), "public_key": str(pair.pubkey())})
    scanner = scan.Scanner(scan.secret_needles(values))
    body_line = private.splitlines()[5]
    scanner.scan("t", "log-a", f'{{"msg": "key line {body_line}"}}')              # one line of the PEM
    scanner.scan("t", "log-b", json.dumps({"k": private}))                         # JSON-escaped whole key
    scanner.scan("t", "log-c", f"payer {json.dumps(list(bytes(pair)))}")           # keypair as a byte list
    scanner.scan("t", "log-d", "Bearer sk_test_abcdef123456")
    scanner.scan("t", "clean", f"PublicKeyId=SANDBOX-PUBLIC payer={pair.pubkey()}")  # public parts are fine
    assert sorted({h.location for h in scanner.hits}) == ["log-a", "log-b", "log-c", "log-d"]
    assert all(private not in h.redacted and "abcdef123456" not in h.redacted for h in scanner.hits)


def test_a_plain_webhook_signing_secret_anywhere_is_a_hit():
    from smartpay_webhooks.domain.signing import generate_secret

    secret = generate_secret()
    scanner = scan.Scanner({})
    scanner.scan("t", "log-a", json.dumps({"msg": "delivering", "secret": secret}))
    scanner.scan("t", "clean", '{"webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "id": "whsec_"}')
    assert [h.location for h in scanner.hits] == ["log-a"] and secret not in scanner.hits[0].redacted


def test_report_exit_codes():
    scanner = scan.Scanner({})
    assert scan.report(scanner, io.StringIO()) == 0
    scanner.errors.append("archive: not moto")
    assert scan.report(scanner, io.StringIO()) == 2
    scanner.scan("logs", "x.log:1", "4111 1111 1111 1111")
    out = io.StringIO()
    assert scan.report(scanner, out) == 1
    assert "x.log:1: 411111******1111" in out.getvalue() and "4111 1111 1111 1111" not in out.getvalue()


# --- every place, on a real moto server (no stack needed) ---------------------------------------------
@pytest.mark.integration
def test_every_place_is_read_and_a_card_in_any_of_them_is_found(aws, moto_server, tmp_path):
    import duckdb

    # GIVEN a stored secret, and one card number in each place the stack keeps data
    aws("secretsmanager").create_secret(Name="smartpay/payment/stripe",
                                        SecretString=json.dumps({"api_key": "sk_test_planted0123456789"}))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "worker.log").write_text("ok\ncard 4242 4242 4242 4242\n")
    (tmp_path / "terraform" / "platform").mkdir(parents=True)
    (tmp_path / "terraform" / "platform" / "terraform.tfstate").write_text('{"v": "sk_test_planted0123456789"}')
    events = aws("events")
    bus = events.create_event_bus(Name="scan-bus")["EventBusArn"]
    events.create_archive(ArchiveName="scan-archive", EventSourceArn=bus)
    events.put_events(Entries=[{"EventBusName": "scan-bus", "Source": "t", "DetailType": "t",
                                "Detail": json.dumps({"pan": "4000056655665556"})}])
    sqs = aws("sqs")
    queue = sqs.create_queue(QueueName="scan-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"card": "5555555555554444"}))
    dynamodb = aws("dynamodb")
    dynamodb.create_table(TableName="scan-table", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}])
    dynamodb.put_item(TableName="scan-table", Item={"payment_id": {"S": "pay_1"}, "n": {"S": "378282246310005"}})
    aws("s3").create_bucket(Bucket="scan-bucket")
    aws("s3").put_object(Bucket="scan-bucket", Key="k.json", Body=b'{"n": "6011111111111117"}')
    logs = aws("logs")
    logs.create_log_group(logGroupName="/scan")
    logs.create_log_stream(logGroupName="/scan", logStreamName="s")
    logs.put_log_events(logGroupName="/scan", logStreamName="s", logEvents=[
        {"timestamp": int(__import__("time").time() * 1000), "message": "pan 3530111333300000"}])
    (tmp_path / "chat").mkdir()
    db = duckdb.connect(str(tmp_path / "chat" / "payments.duckdb"))
    db.execute("CREATE TABLE payments (payment_id VARCHAR, search_text VARCHAR)")
    db.execute("INSERT INTO payments VALUES ('pay_1', 'card 2223003122003222')")
    db.close()

    # WHEN the scan runs THEN each place gives its hit, and the message is still in its queue
    scanner = scan.run(moto_server.url, tmp_path, tmp_path)
    assert scanner.errors == []
    found = sorted((h.kind, h.location.split(" ")[0].split(":")[0], h.redacted) for h in scanner.hits)
    assert found == sorted([
        ("card", "logs/worker.log", "424242******4242"), ("secret", "terraform/platform/terraform.tfstate",
                                                          "sk_t...[25 chars]"),
        ("card", "archive", "400005******5556"), ("card", "sqs", "555555******4444"),
        ("card", "dynamodb", "378282*****0005"), ("card", "s3", "601111******1117"),
        ("card", "logs", "353011******0000"), ("card", "chat", "222300******3222")])
    assert int(sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"]) == 1
    # the archive was read through a replay into a temporary rule and queue, both gone again
    assert sqs.list_queues()["QueueUrls"] == [queue]
    assert [r["Name"] for r in events.list_rules(EventBusName="scan-bus")["Rules"]] == [
        "Events-Archive-scan-archive"]  # the archive's own rule (it leaves replayed events out)


@pytest.mark.integration
def test_queues_are_read_once_per_message_and_a_short_read_is_an_error(aws, moto_server):
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName="scan-once")["QueueUrl"]
    for n in range(25):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))
    client = boto3.client("sqs", endpoint_url=moto_server.url, region_name="us-east-1")

    scanner = scan.Scanner({})
    scan.scan_queues(scanner, client)
    assert scanner.errors == [] and scanner.scanned["sqs_messages"] == 25
    # every message was received exactly once by the scan and is visible again right away
    got = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                       AttributeNames=["ApproximateReceiveCount"]).get("Messages", []):
        got += batch
    assert len(got) == 25 and {m["Attributes"]["ApproximateReceiveCount"] for m in got} == {"2"}

    # WHEN messages are in flight (held by a consumer) THEN the scan cannot say "clean"
    scanner = scan.Scanner({})
    scan.scan_queues(scanner, client)
    assert scanner.scanned["sqs_messages"] == 0
    assert len(scanner.errors) == 1 and "25 messages counted, 0 read" in scanner.errors[0]
    assert scan.report(scanner, io.StringIO()) == 2


# --- on the real local stack ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_demo():
    from smartpay_payment.testing.local_stack import Emulators, MerchantClient
    from smartpay_payment.testing.servers import amazon_checkout_session, stripe_card
    from smartpay_shared.local import stack
    from smartpay_shared.testing import free_port

    # Not under pytest's basetemp: concurrent pytest sessions prune old basetemps while the stack writes.
    state = Path(tempfile.mkdtemp(prefix="smartpay-scan-"))
    (state / "chat").mkdir()
    keys = ("CHAT_INDEX_PATH", *stack.exported_names())
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["SMARTPAY_LOCAL_DIR"] = str(state)
    os.environ["CHAT_INDEX_PATH"] = str(state / "chat" / "payments.duckdb")  # this run's index, nobody else's
    try:
        info = stack.up(f"http://127.0.0.1:{free_port()}", gateway_port=free_port(),
                        xray_address=f"127.0.0.1:{free_port()}")
        run = uuid.uuid4().hex[:6]
        env = {**os.environ, "SMARTPAY_USER_PASSWORD": "Scan-merchant-Passw0rd!"}
        email = f"scan-{run}@example.com"
        subprocess.run([SMARTPAY, "auth", "create-user", "--email", email, "--merchant-id", "m_scan"], env=env,
                       check=True, capture_output=True, timeout=120)
        token = subprocess.run([SMARTPAY, "auth", "token", "--email", email], env=env, check=True,
                               capture_output=True, text=True, timeout=120).stdout.strip()
        emulators = Emulators.of(info)  # this stack's own emulators
        merchant = MerchantClient(info["gateway_url"], token, emulators)
        wallet = f"sol_scan_{run}"
        subprocess.run([SMARTPAY, "payment", "fund-wallet", wallet, "--sol", "2", "--usd", "100"], env=env,
                       check=True, capture_output=True, timeout=120)

        def body(method, token, amount, customer):
            return {"amount": amount, "currency": "USD", "customer_id": f"{customer}_{run}", "country": "US",
                    "device_id": f"dev_{customer}_{run}", "ip_address": "203.0.113.10",
                    "payment_method": {"type": method, "token": token}}

        requests_ = [body("card", stripe_card(emulators.stripe, "4242424242424242"), 2500, "cus_scan_card"),
                     body("card", stripe_card(emulators.stripe, "4000000000000341"), 3100, "cus_scan_decl"),
                     body("amazon_pay", amazon_checkout_session(emulators.amazon_pay), 4200, "cus_scan_amzn"),
                     body("solana_wallet", wallet, 900, "cus_scan_sol")]
        views = []
        for request in requests_:
            response = merchant.pay(request)
            assert response.status_code == 202, response.text
            views.append(merchant.wait(response.json()["payment_id"], timeout=90))
        captured = [v for v in views if v.get("status") == "indexed"]
        assert captured, views
        assert merchant.refund(captured[0]["payment_id"], amount=100).status_code in (200, 202)
        merchant.wait(captured[0]["payment_id"], until=frozenset({"partially_refunded", "refunded"}), timeout=60)
        yield {**info, "state": state, "views": views}
    finally:
        stack.down()
        shutil.rmtree(state, ignore_errors=True)
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def _scan(small_demo):
    return scan.run(small_demo["aws_endpoint_url"], small_demo["state"], ROOT)


@pytest.mark.e2e
@pytest.mark.integration
def test_after_a_small_demo_nothing_leaks(small_demo):
    scanner = _scan(small_demo)
    out = io.StringIO()
    code = scan.report(scanner, out)
    print(out.getvalue())  # the counts per place (pytest -rP shows them)
    assert code == 0, out.getvalue()
    # The scan looked at real data in every place (an empty scan proves nothing).
    for source in ("logs", "archive_events", "sqs_queues", "dynamodb_items", "chat_rows", "terraform_state"):
        assert scanner.scanned[source] > 0, (source, dict(scanner.scanned))
    assert scanner.scanned["secret_needles"] >= 3  # the three gateway secrets are in Secrets Manager


@pytest.mark.e2e
@pytest.mark.integration
def test_negative_control_a_planted_card_and_secret_are_found(small_demo):
    endpoint, state = small_demo["aws_endpoint_url"], small_demo["state"]
    aws = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    # GIVEN a card number in a log line, another in a table item, and the Stripe key in a DLQ message
    (state / "logs" / "planted.log").write_text("INFO charging card 4111 1111 1111 1111 for c_1\n")
    dynamodb = boto3.client("dynamodb", **aws)
    table = next(t for t in dynamodb.list_tables()["TableNames"] if "idempotency" in t)
    described = dynamodb.describe_table(TableName=table)["Table"]
    types = {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}
    key = {k["AttributeName"]: {types[k["AttributeName"]]: "planted" if types[k["AttributeName"]] == "S" else "1"}
           for k in described["KeySchema"]}
    dynamodb.put_item(TableName=table, Item={**key, "note": {"S": "pan 5555-5555-5555-4444"}})
    sm = boto3.client("secretsmanager", **aws)
    stripe_key = json.loads(sm.get_secret_value(SecretId="smartpay/payment/stripe")["SecretString"])["api_key"]
    sqs = boto3.client("sqs", **aws)
    dlq = next(u for u in sqs.list_queues()["QueueUrls"] if "dlq" in u.lower())
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"error": f"auth failed with {stripe_key}"}))
    # WHEN the scan runs (as `make scan-secrets` does)
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "scan_secrets.py"), "--endpoint", endpoint,
                             "--state-dir", str(state)], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "SMARTPAY_LOCAL_DIR": str(state)})
    # THEN it fails, naming each place, with the values redacted
    assert result.returncode == 1, result.stdout + result.stderr
    hits = [line for line in result.stdout.splitlines() if line.startswith("HIT")]
    assert any("logs/planted.log:1" in h and "411111******1111" in h for h in hits), hits
    assert any(f"dynamodb {table}" in h and "555555******4444" in h for h in hits), hits
    assert any(h.startswith("HIT secret") and dlq.rsplit("/", 1)[1] in h for h in hits), hits
    assert stripe_key not in result.stdout and "4111 1111 1111 1111" not in result.stdout
