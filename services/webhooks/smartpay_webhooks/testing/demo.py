"""The demo's merchant webhook endpoint: a receiver on 127.0.0.1 (a free port) that verifies every delivery
with the standardwebhooks library and prints a line for each; the first webhook fails twice and succeeds
on the third try (the retry schedule's 5 s and 20 s). At the end every delivery of the run must have
succeeded and verified, or the demo fails."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from smartpay_webhooks.testing.receiver import Receiver

TIMEOUT = 120.0  # the scripted failures alone take 25 s of backoff


def register(session: requests.Session, url: str, echo: Callable[[str], None]) -> tuple[Receiver, str]:
    receiver = Receiver(fail_first=2, fail_ids=1, echo=lambda line: echo(f"  webhook {line}"))
    receiver_url = receiver.start()
    response = session.post(f"{url}/webhook-endpoints", timeout=15, json={
        "url": receiver_url, "description": "make demo receiver",
        "event_types": ["payment.captured", "payment.declined", "payment.failed", "payment.refunded"]})
    response.raise_for_status()
    created = response.json()
    receiver.secrets.append(created["secret"])  # shown once: the merchant keeps it
    echo(f"webhook endpoint {created['endpoint_id']} -> {receiver_url} (signature verified on every delivery)")
    return receiver, created["endpoint_id"]


def deliveries(session: requests.Session, url: str, endpoint_id: str) -> list[dict]:
    found, before = [], None
    while True:
        params = {"limit": "100", **({"before": before} if before else {})}
        page = session.get(f"{url}/webhook-endpoints/{endpoint_id}/deliveries", params=params, timeout=15).json()
        found += page["deliveries"]
        before = page.get("next_before")
        if not before:
            return found


def settle(session: requests.Session, url: str, endpoint_id: str, receiver: Receiver,
           echo: Callable[[str], None]) -> bool:
    """Wait for every delivery to finish; True when all succeeded and every request verified."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        found = deliveries(session, url, endpoint_id)
        pending = [d for d in found if d["status"] == "pending"]
        if (found and not pending) or time.monotonic() > deadline:
            break
        time.sleep(1)
    succeeded = [d for d in found if d["status"] == "succeeded"]
    retried = [d for d in succeeded if d["attempt_count"] > 1]
    verified = all(r.verified for r in receiver.received)
    echo(f"webhooks: {len(succeeded)}/{len(found)} deliveries succeeded ({len(retried)} after retries), "
         f"{len(receiver.received)} requests, {'all' if verified else 'NOT all'} signatures verified, "
         f"{len(pending)} still pending")
    receiver.stop()
    return bool(found) and len(succeeded) == len(found) and verified and len(retried) >= 1
