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
    "merchant_id": ("merchant_id", "merchant"),
    "terminal_id": ("terminal_id", "terminal", "store_id"),
    "amount": ("amount", "amount_minor"),
    "is_fraud": ("is_fraud", "label", "fraud", "class"),
    "label_known_at": ("label_known_at", "known_at", "label_time", "reported_at"),
    "device_id": ("device_id", "device"),
    "ip_address": ("ip_address", "ip"),
    "country": ("country",),
    "merchant_category": ("merchant_category", "mcc", "category"),
    "currency": ("currency",),
}
OPTIONAL = ("customer_id", "terminal_id", "device_id", "ip_address", "country", "merchant_category", "currency")
AMOUNT_UNITS = ("minor", "major")
# A file without a merchant column (a terminal-level export of one business) is one tenant of this name.
SINGLE_MERCHANT = "merchant"


@dataclass
class Dataset:
    """Normalised, time-ordered rows. `is_fraud` is 0/1 (0 also for unlabelled rows), `labelled` says which rows
    carry a label (unlabelled rows are warm-up history for the windows, never trained on), `label_known_at` is
    when a fraud label became known (NaT for the others)."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> set[str]:
        return set(self.frame.columns) - {"labelled", "label_known_at"}

    @property
    def labelled(self) -> np.ndarray:
        return self.frame["labelled"].to_numpy(dtype=bool)

    def sha256(self) -> str:
        hashed = pd.util.hash_pandas_object(self.frame, index=False).to_numpy()
        return hashlib.sha256(hashed.tobytes()).hexdigest()


def _row(df: pd.DataFrame, mask: pd.Series | np.ndarray, what: str) -> DatasetError:
    """An error naming the first offending row (1-based data row of the file, and its transaction id)."""
    bad = np.flatnonzero(np.asarray(mask))
    i = int(bad[0])
    tid = df["transaction_id"].iloc[i] if "transaction_id" in df else None
    more = f" ({len(bad) - 1} more row(s) like it)" if len(bad) > 1 else ""
    return DatasetError(f"row {i + 1}" + (f" (transaction {tid})" if tid is not None else "") + f": {what}{more}")


def normalise(raw: pd.DataFrame, amount_unit: str | None = None,
              label_delay_days: int = 7, require_labels: bool = True) -> Dataset:
    """A user's table in the training shape. `amount_unit` (minor | major) must be declared: never guessed.
    Label column: 0/1, or empty for unlabelled history rows. A fraud label without a `label_known_at` is taken
    as known `label_delay_days` after its payment (noted). `require_labels=False` (batch scoring) accepts a
    table without a label column: every row is then unlabelled."""
    if amount_unit not in AMOUNT_UNITS:
        raise DatasetError("declare the amounts' units: amount_unit / --amount-units must be 'minor' "
                           f"(integer cents) or 'major' (e.g. 12.50), got {amount_unit!r}")
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
    if "merchant_id" not in picked and "terminal_id" in picked:
        picked["merchant_id"] = pd.Series(SINGLE_MERCHANT, index=raw.index)
        notes.append(f"no merchant column: every row is one merchant ({SINGLE_MERCHANT!r}); terminal_id kept "
                     "as the terminal (per-terminal features)")
    if "is_fraud" not in picked and not require_labels:
        picked["is_fraud"] = pd.Series(np.nan, index=raw.index)
    missing = [c for c in ("transaction_id", "timestamp", "card_id", "merchant_id", "amount", "is_fraud")
               if c not in picked]
    if missing:
        raise DatasetError(f"missing required column(s): {', '.join(missing)} "
                           f"(need transaction id, timestamp, card or customer id, merchant or terminal id, "
                           f"amount, label); found {sorted(raw.columns)}")
    df = pd.DataFrame(picked).reset_index(drop=True)
    for col in ("transaction_id", "card_id", "merchant_id", *[c for c in OPTIONAL if c in df]):
        df[col] = df[col].astype("string").str.strip().replace("", pd.NA)
    for col in ("transaction_id", "card_id", "merchant_id"):
        if df[col].isna().any():
            raise _row(df, df[col].isna(), f"{col} is empty")
    dup = df["transaction_id"].duplicated()
    if dup.any():
        raise _row(df, dup, f"transaction id {df['transaction_id'][dup].iloc[0]!r} appears twice (ids must be unique)")
    df["timestamp"] = _timestamps(df, df["timestamp"], "timestamp")
    df["amount"] = _amounts(df, amount_unit, notes)
    df["is_fraud"], df["labelled"] = _labels(df)
    df["label_known_at"] = _known_at(df, label_delay_days, notes)
    if not df["labelled"].all():
        notes.append(f"{int((~df['labelled']).sum()):,} unlabelled row(s): history for the windows, not trained on")
    df = df.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return Dataset(df, notes)


def _timestamps(df: pd.DataFrame, values: pd.Series, column: str) -> pd.Series:
    if column != "timestamp" and not pd.api.types.is_numeric_dtype(values):
        # An optional time column (label_known_at): an empty or blank string is a missing value, like an empty cell.
        values = values.mask(values.astype("string").str.strip() == "")
    if pd.api.types.is_numeric_dtype(values):  # epoch seconds or milliseconds
        unit = "ms" if values.max() > 1e11 else "s"
        parsed = pd.to_datetime(values, unit=unit, utc=True)
    else:
        parsed = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    bad = parsed.isna() & values.notna() if column != "timestamp" else parsed.isna()
    if bad.any():
        raise _row(df, bad, f"{column} {str(values[bad].iloc[0])!r} could not be parsed")
    return parsed.astype("datetime64[ms, UTC]")


def _amounts(df: pd.DataFrame, unit: str, notes: list[str]) -> pd.Series:
    values = df["amount"]
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any():
        raise _row(df, numbers.isna(), f"amount {values[numbers.isna()].iloc[0]!r} is not a number")
    if (numbers < 0).any():
        raise _row(df, numbers < 0, f"amount {numbers[numbers < 0].iloc[0]} is negative (zero is accepted)")
    if unit == "major":
        notes.append("amounts declared in major units (x100 -> minor units)")
        return (numbers * 100).round().astype(np.int64)
    fractional = numbers % 1 != 0
    if fractional.any():
        raise _row(df, fractional, f"amount {numbers[fractional].iloc[0]} has a fraction but the amounts were "
                                   "declared in minor units (use --amount-units major)")
    return numbers.astype(np.int64)


def _labels(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    values = df["is_fraud"]
    blank = values.isna() | (values.astype("string").str.strip() == "")
    labels = pd.to_numeric(values.mask(blank), errors="coerce")
    bad = ~blank & ~labels.isin([0, 1])
    if bad.any():
        raise _row(df, bad, f"label {str(values[bad].iloc[0])!r} must be 0, 1 or empty (unlabelled)")
    return labels.fillna(0).astype(np.int64), ~blank


def _known_at(df: pd.DataFrame, delay_days: int, notes: list[str]) -> pd.Series:
    fraud = df["is_fraud"] == 1
    assumed = df["timestamp"] + pd.Timedelta(days=delay_days)
    if "label_known_at" not in df:
        if fraud.any():
            notes.append(f"no label_known_at column: every fraud label is taken as known {delay_days} day(s) "
                         "after its payment")
        return assumed.where(fraud)
    known = _timestamps(df, df["label_known_at"], "label_known_at")
    early = fraud & known.notna() & (known < df["timestamp"])
    if early.any():
        raise _row(df, early, "label_known_at is before the payment's own timestamp")
    gaps = fraud & known.isna()
    if gaps.any():
        notes.append(f"{int(gaps.sum())} fraud label(s) without label_known_at: taken as known {delay_days} "
                     "day(s) after the payment")
    return known.where(~gaps, assumed).where(fraud)
