"""Historical payments brought in by an operator (`smartpay payment import`): one row of a CSV or JSONL file ->
the payment's record, built with the saga's own transitions (`advance`) so it is a record like any other, and
the event that announces its outcome (the chat index takes it like a live one). Pure.

A row is `reference` (the merchant's id of the payment at its previous provider: unique per merchant), `amount`
(minor units), `currency`, `status` (captured, refunded, partially_refunded, failed, declined, declined_fraud),
`method`, `customer_id`, `created_at`, and optionally `completed_at`, `refunded_amount`, `gateway`, `card_last4`,
`country`, `merchant_category`, `decline_code`, `decline_reason`. The merchant is never a column: the operator
names it. The payment id is derived from (merchant, reference), so importing a row twice finds the same record."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from smartpay_payment.domain.model import Payment, Refund, State, advance
from smartpay_shared import pan
from smartpay_shared.events import payloads as p
from smartpay_shared.money import amount_problem

IMPORT_KEY = "smartpay_import"  # payment metadata: the row's fingerprint (an imported record is marked by it)
REFERENCE_KEY = "smartpay_import_reference"
COLUMNS = ("reference", "amount", "currency", "status", "method", "customer_id", "created_at", "completed_at",
           "refunded_amount", "gateway", "card_last4", "country", "merchant_category", "decline_code",
           "decline_reason")
APPROVED = ("captured", "refunded", "partially_refunded")
FINAL = {"captured": State.CAPTURED, "refunded": State.REFUNDED, "partially_refunded": State.PARTIALLY_REFUNDED,
         "failed": State.FAILED, "declined": State.DECLINED, "declined_fraud": State.FRAUD_DECLINED}
DETAIL = "imported"


class RowError(ValueError):
    """What is wrong with one row: the fields and why, never a value."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class HistoricalPayment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, hide_input_in_errors=True)

    reference: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    amount: int = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3,4}$")
    status: Literal["captured", "refunded", "partially_refunded", "failed", "declined", "declined_fraud"]
    method: Literal["card", "amazon_pay", "solana_wallet"]
    customer_id: str = Field(min_length=1, max_length=64)
    created_at: AwareDatetime
    completed_at: AwareDatetime | None = None
    refunded_amount: int = Field(default=0, ge=0)
    gateway: p.Gateway | None = None
    card_last4: str | None = Field(default=None, pattern=r"^\d{4}$")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    merchant_category: str | None = Field(default=None, max_length=64)
    decline_code: str | None = Field(default=None, max_length=64)
    decline_reason: str | None = Field(default=None, max_length=500)

    @field_validator("amount", "refunded_amount", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):  # JSON true would otherwise read as 1 minor unit
            raise ValueError("must be an integer of minor units, not true/false")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> HistoricalPayment:
        problem = amount_problem(self.amount, self.currency)
        if problem:
            raise ValueError(f"amount: {problem}")
        if self.completed_at and self.completed_at < self.created_at:
            raise ValueError("completed_at: before created_at")
        if self.status == "refunded" and self.refunded_amount not in (0, self.amount):
            raise ValueError("refunded_amount: a refunded payment was refunded in full (leave it empty or = amount)")
        if self.status == "partially_refunded" and not 0 < self.refunded_amount < self.amount:
            raise ValueError("refunded_amount: a partially refunded payment needs 0 < refunded_amount < amount")
        if self.status not in ("refunded", "partially_refunded") and self.refunded_amount:
            raise ValueError(f"refunded_amount: a {self.status} payment has no refund")
        if self.status == "declined_fraud" and self.gateway:
            raise ValueError("gateway: a fraud decline never reached a gateway")
        if self.status != "declined_fraud" and not self.gateway:
            raise ValueError(f"gateway: required for status {self.status}")
        if self.card_last4 and self.method != "card":
            raise ValueError("card_last4: only for card payments")
        return self

    @property
    def refunded(self) -> int:
        return self.amount if self.status == "refunded" else self.refunded_amount

    def fingerprint(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:32]


def payment_id_for(merchant_id: str, reference: str) -> str:
    """Stable per (merchant, reference): a second import of the row names the same payment."""
    digest = hashlib.sha256(f"{merchant_id}\x1f{reference}".encode()).hexdigest()
    return f"pay_imp{digest[:29]}"


def parse_row(raw: Any) -> HistoricalPayment:
    """One row (a CSV line's cells or a JSON object) -> a HistoricalPayment, or RowError naming every bad field.
    A card number anywhere in the row (a key or a value) is refused and never repeated."""
    if not isinstance(raw, dict):
        raise RowError(["the line is not a JSON object"])
    problems = [f"{name}: holds a card number (refused; never stored or shown)"
                for name, value in _strings(raw) if pan.contains_pan(value)]
    if problems:
        raise RowError(problems)
    if "merchant_id" in raw:
        raise RowError(["merchant_id: not a column (the merchant is the import's --merchant)"])
    cells = {k: v for k, v in raw.items() if not (isinstance(v, str) and not v.strip()) and v is not None}
    try:
        return HistoricalPayment.model_validate(cells)
    except ValidationError as e:
        raise RowError([_problem(err) for err in e.errors(include_input=False, include_url=False)]) from None


def _problem(error: dict[str, Any]) -> str:
    """`field: why`; a check across fields (no location) already names its field."""
    where = ".".join(str(x) for x in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _strings(raw: dict[str, Any]):
    """(what to call it in an error, its text) for every key and value of a row."""
    for key, value in raw.items():
        name = "a column name" if pan.contains_pan(str(key)) else str(key)[:64]
        yield name, str(key)
        if value is not None and not isinstance(value, bool):
            yield name, value if isinstance(value, str) else json.dumps(value)


def to_record(merchant_id: str, row: HistoricalPayment) -> tuple[Payment, Payment, list[BaseModel]]:
    """(the record as requested, the record as it ended, the events announcing the end): the saga's transitions,
    so versions, timeline and snapshot are the payment service's own."""
    ids = {"payment_id": payment_id_for(merchant_id, row.reference), "merchant_id": merchant_id}
    created, ended = row.created_at, row.completed_at or row.created_at
    start = Payment(**ids, amount=row.amount, currency=row.currency, customer_id=row.customer_id,
                    payment_method=p.PaymentMethod(type=row.method, token=DETAIL, last4=row.card_last4),
                    country=row.country, merchant_category=row.merchant_category,
                    metadata={IMPORT_KEY: row.fingerprint(), REFERENCE_KEY: row.reference},
                    created_at=created, updated_at=created,
                    timeline=[p.TimelineEntry(state=State.REQUESTED.value, at=created, detail=DETAIL)])
    gateway = {"gateway": row.gateway, "tried_gateways": [row.gateway]} if row.gateway else {}
    if row.status in APPROVED:
        attempt = p.AttemptSummary(attempt=1, gateway=row.gateway, outcome="captured")
        end = advance(start, State.CAPTURED, ended, DETAIL, captured_amount=row.amount, attempts=[attempt], **gateway)
        if row.refunded:
            refund = Refund(number=1, amount=row.refunded, status="succeeded", refund_id=DETAIL, reason=DETAIL)
            end = advance(end, FINAL[row.status], ended, DETAIL, refunds=[refund])
    elif row.status == "declined_fraud":
        end = advance(start, State.FRAUD_DECLINED, ended, DETAIL, fraud_decision="decline",
                      decline_code=row.decline_code or "fraud_declined", decline_reason=row.decline_reason)
    else:
        outcome = "declined" if row.status == "declined" else "failed"
        attempt = p.AttemptSummary(attempt=1, gateway=row.gateway, outcome=outcome, code=row.decline_code)
        end = advance(start, FINAL[row.status], ended, DETAIL, attempts=[attempt], decline_code=row.decline_code,
                      decline_reason=row.decline_reason, **gateway)
    return start, end, [_announcement(end, row)]


def _announcement(end: Payment, row: HistoricalPayment) -> BaseModel:
    """payment.completed with the snapshot (payment.refunded for a partial refund: payment.completed has no
    such status). Never payment.captured/failed: routing would learn from history as if it were live."""
    snapshot = end.snapshot()
    ids = {"payment_id": end.payment_id, "merchant_id": end.merchant_id}
    if snapshot.status == "partially_refunded":
        return p.PaymentRefunded(**ids, gateway=row.gateway, refund_id=DETAIL, currency=end.currency,
                                 amount=row.refunded, total_refunded=row.refunded, reason=DETAIL, payment=snapshot)
    return p.PaymentCompleted(**ids, status=snapshot.status, payment=snapshot)


def is_imported(payment: Payment) -> bool:
    return IMPORT_KEY in payment.metadata

