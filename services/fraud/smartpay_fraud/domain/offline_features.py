"""Offline velocity features over a time-ordered stream (pandas/numpy): the training-side twin of the
Redis store, same definitions, same bucketed-window semantics (stream order breaks timestamp ties)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from smartpay_fraud.domain.features import FeatureSet, VelocityFeature, derived_values, scope


def _present(values: pd.Series) -> pd.Series:
    """The column as strings, empty or blank values read as missing (as the online Transaction reads them)."""
    text = values.astype("string")
    return text.mask(text.str.strip() == "")


def scoped_keys(df: pd.DataFrame, entity: tuple[str, ...]) -> pd.Series:
    """features.scoped_key of every row's scoped entity (the merchant first, then the entity's ids), vectorised;
    missing where any part is missing."""
    key = None
    for c in scope(entity):
        p = _present(df[c])
        part = p.str.len().astype("string") + ":" + p
        key = part if key is None else key + part
    return key


def _entity_codes(df: pd.DataFrame, entity: tuple[str, ...]) -> np.ndarray:
    """One integer per entity value (pairs included), per merchant: the same ids sent by two merchants are two
    entities (features.scope); -1 where any part is missing."""
    missing = np.zeros(len(df), dtype=bool)
    for c in entity:
        missing |= _present(df[c]).isna().to_numpy()
    codes, _ = pd.factorize(scoped_keys(df, entity), use_na_sentinel=True)
    codes = codes.astype(np.int64)
    codes[missing] = -1
    return codes


def _window_bounds(codes: np.ndarray, ts: np.ndarray, feature: VelocityFeature
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Sort rows by (entity, stream position); for each row its sorted position and the first sorted
    position of the same entity whose bucket is still inside the window: bucket > bucket(t) - delay - buckets;
    for a delayed window also the end: the first sorted position whose bucket is > bucket(t) - delay."""
    n = len(codes)
    order = np.lexsort((np.arange(n), codes))
    bucket = ts // feature.bucket_ms
    b0 = int(bucket.min()) if n else 0
    span = int(bucket.max() - b0) if n else 0
    reach = feature.buckets + feature.delay_buckets
    block = span + 2 * reach + 1
    key = codes[order] * block + (bucket[order] - b0) + reach
    lower = np.searchsorted(key, key - reach, side="right")
    upper = np.searchsorted(key, key - feature.delay_buckets, side="right") if feature.delay_buckets else None
    return order, lower, upper


def _known_frauds(df: pd.DataFrame, ts: np.ndarray, order: np.ndarray, lower: np.ndarray,
                  upper: np.ndarray) -> np.ndarray:
    """Per sorted row, the payments in [lower, upper) (its delayed window) labelled fraud with a label known
    at the row's own time (label_known_at <= t): a label that became known later is not used."""
    fraud = df["is_fraud"].to_numpy()[order] == 1
    known = label_known_ms(df)[order]
    t = ts[order]
    positions = np.flatnonzero(fraud)
    a = np.searchsorted(positions, lower)
    b = np.searchsorted(positions, upper)
    out = np.zeros(len(order), dtype=np.float64)
    rows = np.flatnonzero(b > a)
    step = 200_000  # pairs per chunk: bounded memory
    start = 0
    while start < len(rows):
        sizes = (b - a)[rows[start:]]
        take = max(1, int(np.searchsorted(np.cumsum(sizes), step)))
        chunk = rows[start:start + take]
        lengths = (b - a)[chunk]
        owner = np.repeat(chunk, lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        hit = known[positions[np.repeat(a[chunk], lengths) + offsets]] <= t[owner]
        out[chunk] = np.bincount(np.repeat(np.arange(len(chunk)), lengths), weights=hit, minlength=len(chunk))
        start += take
    return out


def label_known_ms(df: pd.DataFrame) -> np.ndarray:
    """When each row's label became known (ms; int64 max where never known: no fraud label). A frame without the
    column (not from dataset.normalise, which always sets it) has no label known: nothing is read early."""
    never = np.iinfo(np.int64).max
    if "label_known_at" not in df:
        return np.full(len(df), never, dtype=np.int64)
    col = df["label_known_at"]
    if pd.api.types.is_datetime64_any_dtype(col):
        values = col.astype("datetime64[ms, UTC]").astype("int64").to_numpy()
        return np.where(col.isna().to_numpy(), never, values)
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64)
    return np.where(np.isnan(values), never, np.nan_to_num(values)).astype(np.int64)


def velocity_feature(df: pd.DataFrame, ts: np.ndarray, feature: VelocityFeature,
                     codes: np.ndarray | None = None) -> np.ndarray:
    codes = _entity_codes(df, feature.entity) if codes is None else codes
    order, lower, upper = _window_bounds(codes, ts, feature)
    n = len(df)
    pos = np.arange(n)
    result_sorted = np.empty(n, dtype=np.float64)
    if feature.agg == "fraud":
        result_sorted[:] = _known_frauds(df, ts, order, lower, upper if upper is not None else pos + 1)
    elif upper is not None and feature.agg == "count":
        result_sorted[:] = upper - lower
    elif upper is not None:
        raise ValueError(f"{feature.name}: a delayed window is defined for counts and frauds only")
    elif feature.agg == "count":
        result_sorted[:] = pos - lower + 1
    elif feature.agg == "sum":
        amounts = df["amount"].to_numpy(dtype=np.int64)[order]
        cs = np.concatenate([[0], np.cumsum(amounts)])
        result_sorted[:] = cs[pos + 1] - cs[lower]
    else:
        values, _ = pd.factorize(_present(df[feature.field]), use_na_sentinel=True)
        values = values[order]
        counts: dict[int, int] = {}
        left = 0
        for j in range(n):
            lo = lower[j]
            while left < lo:  # rows leaving the window (or from the previous entity)
                v = values[left]
                if v >= 0:
                    c = counts[v] - 1
                    if c:
                        counts[v] = c
                    else:
                        del counts[v]
                left += 1
            v = values[j]
            if v >= 0:
                counts[v] = counts.get(v, 0) + 1
            result_sorted[j] = len(counts)
            if j + 1 < n and lower[j + 1] > j:  # next row starts a new entity: reset
                counts.clear()
                left = j + 1
    out = np.empty(n, dtype=np.float64)
    out[order] = result_sorted
    out[codes < 0] = np.nan
    return out


def timestamps_ms(df: pd.DataFrame) -> np.ndarray:
    ts = df["timestamp"]
    if pd.api.types.is_datetime64_any_dtype(ts):
        return (ts.dt.tz_convert("UTC") if ts.dt.tz is not None else ts.dt.tz_localize("UTC")) \
            .astype("datetime64[ms, UTC]").astype(np.int64).to_numpy()
    return ts.to_numpy(dtype=np.int64)


def compute(df: pd.DataFrame, features: FeatureSet, progress=None) -> pd.DataFrame:
    """All features of `features` for every row of a time-ordered frame (index preserved)."""
    ts = timestamps_ms(df)
    if len(ts) > 1 and np.any(np.diff(ts) < 0):
        raise ValueError("the stream must be ordered by timestamp")
    values: dict[str, np.ndarray] = {}
    codes_cache: dict[tuple[str, ...], np.ndarray] = {}
    for f in features.velocity:
        if f.entity not in codes_cache:
            codes_cache[f.entity] = _entity_codes(df, f.entity)
        values[f.name] = velocity_feature(df, ts, f, codes_cache[f.entity])
        if progress:
            progress(f.name)
    names = {d.name for d in features.derived}
    values.update(derived_values(values, df["amount"].to_numpy(dtype=np.float64), ts, names))
    return pd.DataFrame({name: values[name] for name in features.names}, index=df.index)
