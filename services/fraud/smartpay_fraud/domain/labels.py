"""Fraud labels as they arrive (a chargeback, a cardholder's fraud report): which payment, of which merchant,
and when the label became known. Features use a label only once known at the time of the payment scored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from smartpay_fraud.domain.errors import DatasetError

if TYPE_CHECKING:  # pandas is for files only: the serving image (the label events' consumer) has none
    import pandas as pd


# Dispute reasons that say the cardholder did not make the payment: a fraud label. Other disputes (goods not
# received, duplicate, ...) are commercial and label nothing.
FRAUD_DISPUTE_REASONS = frozenset({"fraudulent", "unrecognized"})


@dataclass(frozen=True)
class Label:
    merchant_id: str
    transaction_id: str  # as the service records it: <merchant>:<payment id>
    known_at_ms: int

    @classmethod
    def of_payment(cls, merchant_id: str, payment_id: str, known_at: datetime) -> Label:
        return cls(merchant_id, transaction_id(merchant_id, payment_id), int(known_at.timestamp() * 1000))


def transaction_id(merchant_id: str, payment_id: str) -> str:
    """The id a payment is scored and labelled under: namespaced by its merchant, so one merchant's ids never
    reach another's."""
    return f"{merchant_id}:{payment_id}"


def _column(raw: pd.DataFrame, *names: str) -> pd.Series | None:
    lower = {c.lower().strip(): c for c in raw.columns}
    for name in names:
        if name in lower:
            return raw[lower[name]]
    return None


def read_labels(raw: pd.DataFrame) -> list[Label]:
    """Labels from a table; every malformed row is refused with its row number and field."""
    import pandas as pd

    merchant = _column(raw, "merchant_id", "merchant")
    payment = _column(raw, "payment_id")
    txn = _column(raw, "transaction_id")
    known = _column(raw, "known_at", "label_known_at", "reported_at")
    flag = _column(raw, "is_fraud", "label", "fraud")
    if merchant is None or known is None or (payment is None and txn is None):
        raise DatasetError("a labels file needs merchant_id, payment_id (or transaction_id) and known_at; found "
                           f"{sorted(raw.columns)}")
    times = pd.to_datetime(known, utc=True, errors="coerce", format="mixed") if not \
        pd.api.types.is_numeric_dtype(known) else pd.to_datetime(known, unit="ms", utc=True)
    out = []
    for i in range(len(raw)):
        row = i + 1
        if flag is not None:
            value = pd.to_numeric(pd.Series([flag.iloc[i]]), errors="coerce").iloc[0]
            if value not in (0, 1):
                raise DatasetError(f"row {row}: is_fraud {flag.iloc[i]!r} must be 0 or 1")
            if value == 0:
                continue
        m = "" if pd.isna(merchant.iloc[i]) else str(merchant.iloc[i]).strip()
        if not m:
            raise DatasetError(f"row {row}: merchant_id is empty")
        if txn is not None and not pd.isna(txn.iloc[i]) and str(txn.iloc[i]).strip():
            t = str(txn.iloc[i]).strip()
        elif payment is not None and not pd.isna(payment.iloc[i]) and str(payment.iloc[i]).strip():
            t = transaction_id(m, str(payment.iloc[i]).strip())
        else:
            raise DatasetError(f"row {row}: payment_id is empty")
        if pd.isna(times.iloc[i]):
            raise DatasetError(f"row {row}: known_at {known.iloc[i]!r} could not be parsed")
        out.append(Label(m, t, int(times.iloc[i].value // 1_000_000)))
    return sorted(out, key=lambda label: label.known_at_ms)

