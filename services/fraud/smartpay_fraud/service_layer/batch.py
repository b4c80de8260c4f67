"""Batch scoring of a labelled or unlabelled transaction table (back-tests, re-scoring a day): the
offline twin of the online features, the registered model, decisions under its thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from smartpay_fraud.adapters.model_bundle import ModelBundle
from smartpay_fraud.domain import offline_features
from smartpay_fraud.domain.errors import DatasetError


def score_frame(bundle: ModelBundle, frame: pd.DataFrame, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """`frame` is a normalised, time-ordered table; returns transaction_id, score, decision for its rows.
    Windows see only the rows given: `history` (normalised, labelled or not) is prepended so that they also
    see the payments and the labels before the file (a label counts once known at the scored payment's time)."""
    if history is not None and len(history):
        clash = set(history["transaction_id"]) & set(frame["transaction_id"])
        if clash:
            raise DatasetError(f"transaction {sorted(clash)[0]!r} is both in the history and in the scored file")
        both = pd.concat([history.assign(_scored=False), frame.assign(_scored=True)], ignore_index=True)
        both = both.sort_values("timestamp", kind="stable").reset_index(drop=True)
        scored = score_frame(bundle, both.drop(columns="_scored"))
        return scored[both["_scored"].to_numpy()].reset_index(drop=True)
    features = offline_features.compute(frame, bundle.online_features)
    if bundle.graph is not None:
        features = features.join(bundle.graph.features(frame))
    x = features.reindex(columns=bundle.feature_names).to_numpy(np.float32)
    scores = bundle.scores(x)
    thr = bundle.thresholds
    decision = np.where(scores >= thr.decline, "decline", np.where(scores >= thr.review, "review", "approve"))
    return pd.DataFrame({"transaction_id": frame["transaction_id"].to_numpy(), "score": scores,
                         "decision": decision}, index=frame.index)
