"""Platform probe for the local stack: put one event on the bus and see which workers handled it,
read from their JSON logs (the `event received` line carries the correlation id)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from smartpay_shared.events import Envelope, Producer, new_envelope
from smartpay_shared.events.payloads import PaymentMethod, PaymentRequested


def probe_envelope(merchant_id: str = "m_probe") -> Envelope:
    payment_id = "pay_probe" + uuid.uuid4().hex[:16]
    data = PaymentRequested(payment_id=payment_id, merchant_id=merchant_id, amount=1250, currency="EUR",
                            payment_method=PaymentMethod(type="card", token="pm_card_visa", last4="4242"),
                            customer_id="cus_probe", country="DE")
    return new_envelope(data, producer=Producer(service="payment", version="0.0.0"), correlation_id=payment_id)


def handled_by(log_dir: Path, needle: str) -> dict[str, list[dict]]:
    """worker name -> its JSON log records that mention `needle` (an event id, a payment id)."""
    found: dict[str, list[dict]] = {}
    for log in sorted(log_dir.glob("worker-*.log")):
        service = log.stem.removeprefix("worker-")
        for line in log.read_text(errors="replace").splitlines():
            if needle in line and line.startswith("{"):
                try:
                    found.setdefault(service, []).append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    return found


def received_by(found: dict[str, list[dict]], event_id: str) -> set[str]:
    return {s for s, recs in found.items()
            if any(r.get("message") == "event received" and r.get("event_id") == event_id for r in recs)}


def wait_for_handlers(log_dir: Path, event_id: str, expected: set[str], timeout: float = 30.0,
                      settle: float = 2.0) -> dict[str, list[dict]]:
    """Wait until every expected worker logged `event received` for this event, then a little longer
    so that unexpected deliveries would show too."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if expected <= received_by(handled_by(log_dir, event_id), event_id):
            time.sleep(settle)
            break
        time.sleep(0.2)
    return handled_by(log_dir, event_id)
