"""Chat through the gateway (issue #17 item 6): a private local stack (moto + Terraform + every worker + the local
gateway verifying Cognito tokens), N payments of one merchant in its chat index (`smartpay chat reindex
--from-jsonl`, the bulk path), then POST /chat through the gateway while indexing runs (a thread takes payments
through POST /pay all along: the chat worker indexes each from payment.requested and again at its end, and
publishes a delta over the base copy the API holds). Measured:

- `gateway_latency_ms`: p50/p95 of POST /chat as the client sees it (HTTP, token check, the API function's
  environment, planner, DuckDB, template), over BENCH questions x rounds, on the client's kept connection;
- `gateway_latency_new_connection_each_ms`: the same questions in the same loop, each on a new connection (in
  turn before and after the kept one's);
- `first_answer_after_init_ms`: a fresh API environment as the gateway spawns it (the chat API module imported in
  a new process with the stack's settings: Lambda's init, where `api.warm()` runs), then its first request (the
  same proxy event shape); `init_s`: that import with the warm-up;
- `first_answer_cold_through_gateway_ms`: the very first POST /chat after the stack is up, which also waits for
  the gateway to spawn the environment (a Lambda cold start without provisioned concurrency);
- `client_connections_opened`: TCP connections the asking client (one requests.Session) opened for all its
  requests (1 when the gateway keeps the connection alive; one per request when it closes it).

Run alone (prints, writes nothing): `python -m bench.chat_gateway --docs 5000 --rounds 3`."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

MERCHANT = "m_bench_chat"
PASSWORD = "Bench-chat-merchant-Passw0rd!"
QUESTIONS = ["how much did we take yesterday?", "approval rate by gateway this week",
             "top 5 decline reasons last month", "p95 latency last 30 days", "how many payments by status today",
             "refund rate last month", "net revenue last month", "decline rate through Amazon Pay last week",
             "volume per day this week", "how many pending payments right now"]
SMARTPAY = str(Path(sys.executable).parent / "smartpay")


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94] if len(samples) > 1 else samples[0]


def _summary(samples: list[float]) -> dict[str, float]:
    return {"n": len(samples), "p50_ms": round(statistics.median(samples), 1), "p95_ms": round(_p95(samples), 1),
            "max_ms": round(max(samples), 1)}


def seed(stack: dict, docs: int, tmp: Path) -> float:
    """`docs` synthetic payments of MERCHANT over the last 60 days, bulk-loaded (seconds taken)."""
    from smartpay_chat.synthetic import snapshots
    from smartpay_shared.testing.stack import stack_env

    path = tmp / "seed.jsonl"
    with path.open("w") as out:
        for merchant, payment_id, snap in snapshots(docs, now=datetime.now(UTC), seed=17, merchants=(MERCHANT,)):
            out.write(json.dumps({"merchant_id": merchant, "payment_id": payment_id,
                                  "payment": snap.model_dump(mode="json")}) + "\n")
    started = time.perf_counter()
    subprocess.run([SMARTPAY, "chat", "reindex", "--from-jsonl", str(path)], check=True, capture_output=True,
                   timeout=3600, env=stack_env(stack, CHAT_EMBEDDINGS="off"))
    return time.perf_counter() - started


class Payer(threading.Thread):
    """Indexing that runs meanwhile: Amazon Pay payments through POST /pay, one after the other."""

    def __init__(self, url: str, token: str, amazon_url: str):
        super().__init__(daemon=True)
        self.url, self.amazon_url, self.token = url.rstrip("/"), amazon_url, token
        self.stop, self.made, self.errors = threading.Event(), 0, 0

    def run(self) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.token}"
        while not self.stop.is_set():
            try:
                session = requests.post(f"{self.amazon_url}/sandbox/v2/checkoutSessions", timeout=5, json={
                    "storeId": "amzn1.application-oa2-client.sandbox", "sandboxSimulation": None},
                    headers={"Authorization": "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=BUYER"})
                body = {"amount": 1000 + self.made, "currency": "USD", "customer_id": f"cus_bench_{self.made % 50}",
                        "country": "US", "payment_method": {"type": "amazon_pay",
                                                            "token": session.json()["checkoutSessionId"]}}
                response = http.post(f"{self.url}/pay", json=body, timeout=15,
                                     headers={"Idempotency-Key": uuid.uuid4().hex})
                self.made += response.status_code == 202
                self.errors += response.status_code != 202
            except requests.RequestException:
                self.errors += 1
            self.stop.wait(0.05)


def ask(http: requests.Session, url: str, question: str) -> tuple[float, dict[str, Any]]:
    for _ in range(20):  # 503 + Retry-After while the index is briefly locked: counted in the latency
        started = time.perf_counter()
        response = http.post(f"{url}/chat", json={"question": question}, timeout=60)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 503:
            break
        time.sleep(float(response.headers.get("Retry-After", "1")))
    response.raise_for_status()
    return elapsed, response.json()


def first_answer_after_init(stack: dict) -> dict[str, float]:
    """A new API environment: its init (import + api.warm()) and then its first request, in a fresh process."""
    from smartpay_shared.testing.stack import stack_env

    probe = subprocess.run([sys.executable, "-m", "bench.chat_gateway", "--probe-first-answer"], check=True,
                           capture_output=True, text=True, timeout=300, env=stack_env(stack))
    return json.loads(probe.stdout.strip().splitlines()[-1])


def _probe() -> None:
    """In the fresh process: Lambda's init (the module import runs api.warm()), then one invocation."""
    from smartpay_shared.testing import merchant_claims

    started = time.perf_counter()
    from smartpay_chat.entrypoints import api

    init_s = time.perf_counter() - started
    event = {"resource": "/chat", "path": "/chat", "httpMethod": "POST", "headers": {"Content-Type": "application/json"},
             "multiValueHeaders": {}, "queryStringParameters": None, "pathParameters": None,
             "requestContext": {"resourcePath": "/chat", "httpMethod": "POST", "stage": "local",
                                "requestId": str(uuid.uuid4()), "identity": {"sourceIp": "127.0.0.1"},
                                "authorizer": {"claims": {**merchant_claims(MERCHANT), "token_use": "id"}}},
             "body": json.dumps({"question": QUESTIONS[0]}), "isBase64Encoded": False}

    class Context:
        function_name, memory_limit_in_mb, aws_request_id = "smartpay-chat-api", 512, "probe"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:smartpay-chat-api"

    started = time.perf_counter()
    response = api.lambda_handler(event, Context())
    first_ms = (time.perf_counter() - started) * 1000
    assert response["statusCode"] == 200, response
    print(json.dumps({"init_s": round(init_s, 3), "warm_in_init_s": round(api.INIT_WARM_SECONDS, 3),
                      # the warm-up's parts (seconds; two run side by side, see api.warm); older code: none
                      "warm_parts": getattr(api, "INIT_WARM", None),
                      "first_answer_after_init_ms": round(first_ms, 1)}))


def run(docs: int, rounds: int) -> dict[str, Any]:
    from smartpay_payment.testing.local_stack import Emulators
    from smartpay_shared.testing.stack import merchant_token, private_stack

    with tempfile.TemporaryDirectory() as tmp, private_stack(Path(tmp) / "stack") as stack:
        seed_s = seed(stack, docs, Path(tmp))
        token = merchant_token(f"bench-chat-{uuid.uuid4().hex[:6]}@example.com", MERCHANT, PASSWORD, stack)
        url = stack["gateway_url"].rstrip("/")
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        cold_ms, _ = ask(http, url, QUESTIONS[0])
        first = first_answer_after_init(stack)
        payer = Payer(url, token, Emulators.of(stack).amazon_pay)
        payer.start()
        time.sleep(2)  # the saga and the chat worker under way
        before = payer.made
        count_before = ask(http, url, "how many payments")[1]["rows"][0]["value"]
        samples, fresh_samples = [], []
        per_question: dict[str, list[float]] = {question: [] for question in QUESTIONS}
        for r in range(rounds):
            for i, question in enumerate(QUESTIONS):
                # The same question on a new connection too, in turn first or second: the cost of a connection
                # per request, in the same run (what every request paid when the gateway spoke HTTP/1.0).
                for kept in ((True, False) if (r + i) % 2 else (False, True)):
                    if kept:
                        elapsed, answer = ask(http, url, question)
                        samples.append(elapsed)
                        per_question[question].append(elapsed)
                    else:
                        with requests.Session() as fresh:
                            fresh.headers.update(http.headers)
                            elapsed, answer = ask(fresh, url, question)
                        fresh_samples.append(elapsed)
                    assert answer["kind"] == "aggregate", (question, answer["answer"])
        made = payer.made - before
        count_after = ask(http, url, "how many payments")[1]["rows"][0]["value"]
        pools = http.get_adapter(url).poolmanager.pools
        connections = sum(pools[key].num_connections for key in pools.keys())
        payer.stop.set()
        payer.join(timeout=30)
    return {"documents": docs, "seed_bulk_s": round(seed_s, 1), "gateway_latency_ms": _summary(samples),
            "gateway_latency_new_connection_each_ms": _summary(fresh_samples),
            "first_answer_cold_through_gateway_ms": round(cold_ms, 1), **first,
            "client_connections_opened": connections, "client_requests": len(samples) + 3,  # + cold + 2 counts
            "indexing_meanwhile": {"payments_made": made, "pay_errors": payer.errors,
                                   "index_count_before": int(count_before), "index_count_after": int(count_after)},
            # the kept connection's answers per question (which shapes make the tail)
            "per_question_kept_ms": {q: _summary(s) for q, s in per_question.items()},
            "questions": len(QUESTIONS), "rounds": rounds, "load_average_at_end": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--probe-first-answer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe_first_answer:
        _probe()
        return
    print(json.dumps(run(args.docs, args.rounds), indent=2))


if __name__ == "__main__":
    main()
