"""A trained model as it is stored and served: the XGBoost booster, its metadata (features,
thresholds, metrics...) and the graph snapshot. Torch-free: serving imports only this."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import xgboost as xgb

from smartpay_fraud.domain.decision import Assessment, Thresholds
from smartpay_fraud.domain.errors import ModelNotAvailable
from smartpay_fraud.domain.features import FeatureSet, check_scheme, feature_set_from_names
from smartpay_fraud.domain.graph import GraphSnapshot
from smartpay_fraud.domain.reasons import top_reasons

if TYPE_CHECKING:
    from smartpay_fraud.service_layer.scoring import FeatureBatch

MODEL_FILE, METADATA_FILE, GRAPH_FILE = "model.ubj", "metadata.json", "graph.json"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class ModelBundle:
    booster: xgb.Booster
    metadata: dict[str, Any]
    graph: GraphSnapshot | None = None
    nthread: int = 1  # per-request work is tiny: OpenMP thread hand-offs only add tail latency
    remote: ClassVar[bool] = False  # in process: assessed chunk by chunk as the feature store answers

    @property
    def version(self) -> str:
        return self.metadata["version"]

    @property
    def feature_names(self) -> list[str]:
        return list(self.metadata["features"])

    @property
    def thresholds(self) -> Thresholds:
        t = self.metadata["thresholds"]
        return Thresholds(t["review"], t["decline"], t["version"])

    @property
    def online_features(self) -> FeatureSet:
        return feature_set_from_names(self.feature_names)

    def matrix(self, instances: list[dict]) -> np.ndarray:
        names = self.feature_names
        x = np.full((len(instances), len(names)), np.nan, dtype=np.float32)
        index = {n: i for i, n in enumerate(names)}
        for row, inst in enumerate(instances):
            values = dict(inst.get("features", {}))
            if self.graph is not None:
                ent = inst.get("entities", {})
                # Nodes are per merchant: an instance without its merchant finds no node (missing), never another's.
                values.update(self.graph.lookup(ent.get("merchant_id"), ent.get("card_id"), ent.get("device_id"),
                                                ent.get("ip_address")))
            for name, value in values.items():
                i = index.get(name)
                if i is not None and value is not None:
                    x[row, i] = value
        return x

    def batch_matrix(self, batch: FeatureBatch) -> np.ndarray:
        """The model's matrix for a feature batch, column by column (no per-payment dicts)."""
        index = {n: i for i, n in enumerate(self.feature_names)}
        x = np.full((len(batch), len(index)), np.nan, dtype=np.float32)
        src = [j for j, n in enumerate(batch.names) if n in index]
        x[:, [index[batch.names[j]] for j in src]] = batch.values[:, src]
        if self.graph is not None:
            names = self.graph.feature_names
            cols = [i for i, n in enumerate(names) if n in index]
            if cols:
                g = np.array(self.graph.lookup_rows(batch.entities), dtype=np.float64).reshape(len(batch), len(names))
                x[:, [index[names[i]] for i in cols]] = g[:, cols]
        return x

    def scores(self, x: np.ndarray) -> np.ndarray:
        return self.booster.inplace_predict(x, validate_features=False)

    def assess(self, instances: list[dict], reasons: int = 3) -> list[Assessment]:
        """Assess JSON instances (the SageMaker payload)."""
        return self._assess(self.matrix(instances), [int(i.get("exponent", 2)) for i in instances], reasons)

    def assess_batch(self, batch: FeatureBatch, reasons: int = 3) -> list[Assessment]:
        return self._assess(self.batch_matrix(batch), batch.exponents, reasons)

    def _assess(self, x: np.ndarray, exponents: list[int], reasons: int) -> list[Assessment]:
        if reasons:
            # One TreeSHAP pass gives the reasons and, summed, the margin: no second predict call.
            matrix = xgb.DMatrix(x, missing=np.nan, nthread=self.nthread)
            contribs = self.booster.predict(matrix, pred_contribs=True, validate_features=False)
            scores = 1.0 / (1.0 + np.exp(-contribs.sum(axis=1, dtype=np.float64)))
        else:
            contribs, scores = None, self.scores(x)
        thr, names, version = self.thresholds, self.feature_names, self.version
        s = np.asarray(scores, dtype=np.float64)
        decisions = thr.decide_many(s)
        if not reasons:
            return [Assessment(round(score, 6), d, version, thr.version, [])
                    for score, d in zip(s.tolist(), decisions, strict=True)]
        values, contrib = x.astype(np.float64).tolist(), contribs[:, :-1].tolist()
        return [Assessment(round(score, 6), d, version, thr.version,
                           top_reasons(names, values[row], contrib[row], reasons, exponents[row]))
                for row, (score, d) in enumerate(zip(s.tolist(), decisions, strict=True))]

    def save(self, directory: Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(directory / MODEL_FILE)
        files = {MODEL_FILE: sha256_file(directory / MODEL_FILE)}
        if self.graph is not None:
            (directory / GRAPH_FILE).write_text(json.dumps(self.graph.to_json(), separators=(",", ":")))
            files[GRAPH_FILE] = sha256_file(directory / GRAPH_FILE)
        self.metadata["artifacts"] = files
        (directory / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, default=_json_default) + "\n")
        return directory

    @classmethod
    def load(cls, directory: Path) -> ModelBundle:
        directory = Path(directory)
        meta_path = directory / METADATA_FILE
        if not meta_path.exists():
            raise ModelNotAvailable(f"no {METADATA_FILE} in {directory}")
        metadata = json.loads(meta_path.read_text())
        check_scheme(metadata)
        for name, digest in metadata.get("artifacts", {}).items():
            if not (directory / name).exists() or sha256_file(directory / name) != digest:
                raise ModelNotAvailable(f"artifact {name} of model {metadata.get('version')} is missing or corrupt")
        booster = xgb.Booster()
        booster.load_model(directory / MODEL_FILE)
        booster.set_param({"nthread": 1})
        graph = None
        if (directory / GRAPH_FILE).exists():
            graph = GraphSnapshot.from_json(json.loads((directory / GRAPH_FILE).read_text()))
        return cls(booster, metadata, graph)


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    raise TypeError(f"not JSON serialisable: {type(value)}")
