"""A labelled transaction table in the shape training expects, from the generator's columns or a
user's minimal ones (id, time, card or customer, merchant or terminal, amount, label)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from smartpay_fraud.domain.errors import DatasetError

ALIASES = {
    "transaction_id": ("transaction_id", "txn_id", "id", "payment_id"),
    "timestamp": ("timestamp", "time", "ts", "datetime", "created_at"),
    "card_id": ("card_id", "card", "card_token"),
    "customer_id": ("customer_id", "customer", "account_id"),
    "merchant_id": ("merchant_id", "merchant", "terminal_id", "terminal"),
    "amount": ("amount", "amount_minor"),
    "is_fraud": ("is_fraud", "label", "fraud", "class"),
    "device_id": ("device_id", "device"),
    "ip_address": ("ip_address", "ip"),
    "country": ("country",),
    "merchant_category": ("merchant_category", "mcc", "category"),
    "currency": ("currency",),
}
OPTIONAL = ("customer_id", "device_id", "ip_address", "country", "merchant_category", "currency")


@dataclass
class Dataset:
    frame: pd.DataFrame  # normalised, time-ordered
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> set[str]:
        return set(self.frame.columns)

    def sha256(self) -> str:
        hashed = pd.util.hash_pandas_object(self.frame, index=False).to_numpy()
        return hashlib.sha256(hashed.tobytes()).hexdigest()


def normalise(raw: pd.DataFrame, amount_unit: str = "auto") -> Dataset:
    lower = {c.lower().strip(): c for c in raw.columns}
    picked, notes = {}, []
    for target, names in ALIASES.items():
        for name in names:
            if name in lower:
                picked[target] = raw[lower[name]]
                if name != target:
                    notes.append(f"column {lower[name]!r} read as {target}")
                break
    if "card_id" not in picked and "customer_id" in picked:
        picked["card_id"] = picked.pop("customer_id")
        notes.append("no card column: card features are computed per customer_id")
    missing = [c for c in ("transaction_id", "timestamp", "card_id", "merchant_id", "amount", "is_fraud")
               if c not in picked]
    if missing:
        raise DatasetError(f"missing required column(s): {', '.join(missing)} "
                           f"(need transaction id, timestamp, card or customer id, merchant or terminal id, "
                           f"amount, label); found {sorted(raw.columns)}")
    df = pd.DataFrame(picked)
    df["timestamp"] = _timestamps(df["timestamp"])
    df["amount"] = _amounts(df["amount"], amount_unit, notes)
    labels = pd.to_numeric(df["is_fraud"], errors="coerce")
    if labels.isna().any() or not labels.isin([0, 1]).all():
        raise DatasetError("label column must hold only 0/1")
    df["is_fraud"] = labels.astype(np.int64)
    for col in ("transaction_id", "card_id", "merchant_id", *[c for c in OPTIONAL if c in df]):
        df[col] = df[col].astype("string").str.strip().replace("", pd.NA)
    for col in ("transaction_id", "card_id", "merchant_id"):
        if df[col].isna().any():
            raise DatasetError(f"column {col} has empty values")
    if df["transaction_id"].duplicated().any():
        raise DatasetError("transaction ids must be unique")
    df = df.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return Dataset(df, notes)


def _timestamps(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):  # epoch seconds or milliseconds
        unit = "ms" if values.max() > 1e11 else "s"
        parsed = pd.to_datetime(values, unit=unit, utc=True)
    else:
        parsed = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    if parsed.isna().any():
        raise DatasetError(f"{int(parsed.isna().sum())} timestamp(s) could not be parsed")
    return parsed.astype("datetime64[ms, UTC]")


def _amounts(values: pd.Series, unit: str, notes: list[str]) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any() or (numbers <= 0).any():
        raise DatasetError("amount must be a positive number on every row")
    fractional = bool((numbers % 1 != 0).any())
    if unit == "major" or (unit == "auto" and fractional):
        notes.append("amounts read as major units (x100 -> minor units)")
        return (numbers * 100).round().astype(np.int64)
    if fractional:
        raise DatasetError("amount_unit=minor but amounts have fractions")
    return numbers.astype(np.int64)
