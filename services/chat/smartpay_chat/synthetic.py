"""Seeded synthetic payment snapshots (every status, gateway, method, several currencies and exponents, fraud
and gateway declines, fallbacks, refunds) for tests, the evaluation set and the benchmark. Not real data."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from smartpay_shared.events.payloads import PaymentSnapshot

GATEWAY_DECLINES = [("card_declined", "The card was declined"), ("insufficient_funds", "Insufficient funds"),
                    ("expired_card", "The card has expired"), ("do_not_honor", "Do not honor"),
                    ("wallet_rejected", "The wallet rejected the transfer")]
# Each gateway words the same code its own way (chat groups decline reasons by code; the text is detail).
GATEWAY_TEXT = {"amazon_pay": "Declined by the issuer ({code})", "solana": "Transaction rejected: {code}"}
FRAUD_REASONS = [("velocity_1h", "many payments in the last hour"), ("new_device", "first payment from this device"),
                 ("country_mismatch", "IP country differs from the card's"), ("amount_z", "amount far above usual")]
CURRENCIES = [("EUR", 500, 30000), ("USD", 500, 30000), ("JPY", 500, 40000), ("BHD", 1000, 90000),
              ("GBP", 500, 20000)]
COUNTRIES = ["DE", "FR", "US", "GB", "JP", "BH", "ES"]


def snapshots(n: int, *, now: datetime, days: int = 60, seed: int = 7,
              merchants: tuple[str, ...] = ("m_acme", "m_beta")) -> Iterator[tuple[str, str, PaymentSnapshot]]:
    """(merchant_id, payment_id, snapshot) x n, created within `days` before `now` (some a bit after midnight
    boundaries, a few in the future of the window ends by construction of `now`)."""
    rng = random.Random(seed)
    for i in range(n):
        merchant = merchants[i % len(merchants)] if rng.random() < 0.8 else merchants[0]
        created = now - timedelta(seconds=rng.uniform(60, days * 86400))
        method = rng.choices(["card", "amazon_pay", "solana_wallet"], [6, 2, 2])[0]
        currency, low, high = rng.choice(CURRENCIES)
        if method == "solana_wallet" and rng.random() < 0.5:
            currency, low, high = "SOL", 10**7, 10**10
        amount = rng.randint(low, high)
        score = round(rng.random(), 3)
        decision = "decline" if score > 0.93 else "review" if score > 0.8 else "approve"
        reasons = [{"feature": f, "contribution": round(rng.uniform(-0.3, 0.5), 3), "description": d}
                   for f, d in rng.sample(FRAUD_REASONS, 3)]
        eligible = {"card": ["stripe", "amazon_pay"], "amazon_pay": ["amazon_pay"],
                    "solana_wallet": ["solana"]}[method]
        timeline = [{"state": "REQUESTED", "at": created},
                    {"state": "FRAUD_CHECKED", "at": created + timedelta(milliseconds=30)}]
        fields: dict = dict(version=rng.randint(1, 9), amount=amount, currency=currency, method=method,
                            card_last4=f"{rng.randint(0, 9999):04d}" if method == "card" else None,
                            country=rng.choice(COUNTRIES), merchant_category="retail",
                            customer_id=f"cus_{rng.randint(1, 400)}", fraud_score=score, fraud_decision=decision,
                            fraud_reasons=reasons, created_at=created)
        latency_ms = rng.uniform(120, 4000)
        done = created + timedelta(milliseconds=latency_ms)
        if decision == "decline":
            timeline.append({"state": "FRAUD_DECLINED", "at": done})
            # As the payment service writes it: code fraud_declined, the top fraud reason as the text.
            fields.update(status="declined", decline_code="fraud_declined", decline_reason=reasons[0]["description"])
        else:
            attempts = []
            gateways = eligible if len(eligible) == 1 or rng.random() < 0.85 else list(reversed(eligible))
            first_fails = len(gateways) > 1 and rng.random() < 0.3
            outcome = rng.choices(["captured", "failed"], [85, 15])[0]
            for k, gw in enumerate(gateways[:2 if first_fails else 1], start=1):
                last = k == (2 if first_fails else 1)
                result = outcome if last else "timeout"
                code = None if result == "captured" else ("gateway_timeout" if not last else
                                                          rng.choice(GATEWAY_DECLINES)[0])
                attempts.append({"attempt": k, "gateway": gw, "outcome": "declined" if result == "failed" else result,
                                 "code": code, "latency_ms": round(rng.uniform(80, 900), 1)})
                timeline.append({"state": "ROUTED", "at": created + timedelta(milliseconds=40 + k), "detail": gw})
            final = attempts[-1]
            fields.update(attempts=attempts, gateway=final["gateway"],
                          routing_explanation=f"{final['gateway']}: best expected approval for {method} {currency}")
            if outcome == "captured":
                refund = rng.random()
                status, refunded = ("refunded", amount) if refund < 0.06 else (
                    ("partially_refunded", max(1, amount // 3)) if refund < 0.12 else ("captured", 0))
                timeline.append({"state": "CAPTURED", "at": done})
                fields.update(status=status, captured_amount=amount, refunded_amount=refunded)
            else:
                code = final["code"]
                reason = GATEWAY_TEXT.get(final["gateway"], dict(GATEWAY_DECLINES)[code]).format(code=code)
                timeline.append({"state": "FAILED", "at": done, "detail": code})
                fields.update(status="failed" if rng.random() < 0.5 else "declined", decline_code=code,
                              decline_reason=reason)
        fields.update(completed_at=done, timeline=timeline)
        yield merchant, f"pay_SYN{i:08d}", PaymentSnapshot.model_validate(fields)
