"""Batch scoring of a labelled or unlabelled transaction table (back-tests, re-scoring a day): the
offline twin of the online features, the registered model, decisions under its thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from smartpay_fraud.adapters.model_bundle import ModelBundle
from smartpay_fraud.domain import offline_features


def score_frame(bundle: ModelBundle, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` is a normalised, time-ordered table; returns transaction_id, score, decision."""
    features = offline_features.compute(frame, bundle.online_features)
    if bundle.graph is not None:
        features = features.join(bundle.graph.features(frame))
    x = features.reindex(columns=bundle.feature_names).to_numpy(np.float32)
    scores = bundle.scores(x)
    thr = bundle.thresholds
    decision = np.where(scores >= thr.decline, "decline", np.where(scores >= thr.review, "review", "approve"))
    return pd.DataFrame({"transaction_id": frame["transaction_id"].to_numpy(), "score": scores,
                         "decision": decision}, index=frame.index)
