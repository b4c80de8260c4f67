"""Torch-free graph signals from the card-device-IP graph of a labelled past: per-node and
per-connected-component fraud statistics. Built only from transactions before a cutoff, so a row
never sees its own label (or any later one). Every node is scoped to the merchant that sent its id
(features.scope): merchant B's card, device and IP ids are other nodes than A's same ids, so components
never span merchants and no merchant's labels or counts reach another's payments."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from smartpay_fraud.domain.features import TENANT, scoped_key

if TYPE_CHECKING:  # pandas/scipy only build snapshots (training): serving looks them up without either
    import pandas as pd

NODE_COLUMNS = {"card_id": "card", "device_id": "device", "ip_address": "ip"}
GRAPH_FEATURES = ("graph_device_fraud_rate", "graph_ip_fraud_rate", "graph_card_fraud_count",
                  "graph_component_fraud_rate", "graph_component_size", "graph_device_cards",
                  "graph_known_nodes")
SAGE_FEATURES = ("sage_card_score", "sage_device_score", "sage_ip_score")


def node_key(kind: str, merchant: str | None, value: str | None) -> str | None:
    """A node's key: its kind and the (merchant, id) pair, length-prefixed ("device:6:m_acme5:dev_1"); no
    merchant or no id: no node (a lookup without its merchant finds nothing rather than another tenant's node)."""
    if not merchant or not value:
        return None
    return f"{kind}:{scoped_key((merchant, value))}"


@dataclass
class GraphSnapshot:
    """node key (`node_key`: "device:6:m_acme5:dev_1") -> [transactions, frauds, degree, component, sage score]."""

    nodes: dict[str, list[float]]
    components: list[list[float]]  # component -> [nodes, transactions, frauds]
    cutoff_ms: int
    has_sage: bool = False
    columns: tuple[str, ...] = field(default=tuple(NODE_COLUMNS))

    @property
    def feature_names(self) -> list[str]:
        names = [f for f in GRAPH_FEATURES if _needs(f) <= set(self.columns)]
        return names + ([f for f in SAGE_FEATURES if _needs(f) <= set(self.columns)] if self.has_sage else [])

    def to_json(self) -> dict:
        return {"nodes": self.nodes, "components": self.components, "cutoff_ms": self.cutoff_ms,
                "has_sage": self.has_sage, "columns": list(self.columns)}

    @classmethod
    def from_json(cls, raw: dict) -> GraphSnapshot:
        return cls(raw["nodes"], raw["components"], raw["cutoff_ms"], raw["has_sage"], tuple(raw["columns"]))

    def lookup(self, merchant: str | None, card: str | None, device: str | None, ip: str | None) -> dict[str, float]:
        """Graph features of one payment of `merchant`, from that merchant's nodes only; unknown nodes give NaN
        (cold start), never an error."""
        nan = math.nan
        found = {kind: self.nodes.get(key) if (key := node_key(kind, merchant, value)) else None
                 for kind, value in (("card", card), ("device", device), ("ip", ip))}
        comps = [self.components[int(n[3])] for n in found.values() if n]
        out = {
            "graph_device_fraud_rate": found["device"][1] / found["device"][0] if found["device"] else nan,
            "graph_ip_fraud_rate": found["ip"][1] / found["ip"][0] if found["ip"] else nan,
            "graph_card_fraud_count": found["card"][1] if found["card"] else nan,
            "graph_component_fraud_rate": max(c[2] / c[1] for c in comps) if comps else nan,
            "graph_component_size": max(c[0] for c in comps) if comps else nan,
            "graph_device_cards": found["device"][2] if found["device"] else nan,
            "graph_known_nodes": float(sum(1 for n in found.values() if n)),
            "sage_card_score": found["card"][4] if found["card"] else nan,
            "sage_device_score": found["device"][4] if found["device"] else nan,
            "sage_ip_score": found["ip"][4] if found["ip"] else nan,
        }
        return {name: out[name] for name in self.feature_names}

    def lookup_rows(self, entities: list[tuple[str | None, str | None, str | None, str | None]]) -> list[list[float]]:
        """`lookup` for many payments, (merchant, card, device, ip) each, as rows in `feature_names` order (the
        batch scoring path)."""
        names, nodes, components = self.feature_names, self.nodes, self.components
        rows = []
        for merchant, card, device, ip in entities:
            found = {kind: nodes.get(key) if (key := node_key(kind, merchant, value)) else None
                     for kind, value in (("card", card), ("device", device), ("ip", ip))}
            rows.append([_value(name, found, components) for name in names])
        return rows

    def features(self, df: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        def get(col: str) -> list:  # missing (NA, NaN, None) -> None: no node
            return [None if pd.isna(v) else v for v in df[col].tolist()] if col in df else [None] * len(df)

        rows = [self.lookup(m, c, d, i) for m, c, d, i in zip(get(TENANT), get("card_id"), get("device_id"),
                                                             get("ip_address"))]
        return pd.DataFrame(rows, index=df.index, columns=self.feature_names, dtype=np.float64)


def _value(name: str, found: dict, components: list[list[float]]) -> float:
    nan = math.nan
    if name == "graph_known_nodes":
        return float(sum(1 for n in found.values() if n))
    if name in ("graph_component_fraud_rate", "graph_component_size"):
        comps = [components[int(n[3])] for n in found.values() if n]
        if not comps:
            return nan
        return max(c[2] / c[1] for c in comps) if name == "graph_component_fraud_rate" else max(c[0] for c in comps)
    node, pick = _NODE_VALUE[name]
    n = found[node]
    return pick(n) if n else nan


_NODE_VALUE = {
    "graph_device_fraud_rate": ("device", lambda n: n[1] / n[0]),
    "graph_ip_fraud_rate": ("ip", lambda n: n[1] / n[0]),
    "graph_card_fraud_count": ("card", lambda n: n[1]),
    "graph_device_cards": ("device", lambda n: n[2]),
    "sage_card_score": ("card", lambda n: n[4]),
    "sage_device_score": ("device", lambda n: n[4]),
    "sage_ip_score": ("ip", lambda n: n[4]),
}


def _needs(feature: str) -> set[str]:
    if "device" in feature:
        return {"device_id"}
    if "_ip_" in feature:
        return {"ip_address"}
    return {"card_id"}


@dataclass
class PastGraph:
    """The labelled past as arrays: node keys, edges between nodes, per-node counts."""

    keys: list[str]
    edges: np.ndarray  # (2, m) node indices
    txns: np.ndarray
    frauds: np.ndarray
    columns: tuple[str, ...]


def past_graph(past: pd.DataFrame) -> PastGraph:
    import pandas as pd

    columns = tuple(c for c in NODE_COLUMNS if c in past)
    labels = past["is_fraud"].to_numpy(dtype=np.int64)
    merchant = past[TENANT].astype("string")
    tenant = merchant.str.len().astype("string") + ":" + merchant
    per_col = []
    for col in columns:  # node_key, vectorised: kind, then (merchant, id) length-prefixed
        value = past[col].astype("string")
        keys = (NODE_COLUMNS[col] + ":" + tenant + value.str.len().astype("string") + ":" + value)
        per_col.append(keys.where(value.notna() & merchant.notna()))
    all_keys = pd.concat(per_col, ignore_index=True)
    codes, uniques = pd.factorize(all_keys, use_na_sentinel=True)
    n_rows, n_nodes = len(past), len(uniques)
    codes = codes.reshape(len(columns), n_rows)
    txns, frauds = np.zeros(n_nodes), np.zeros(n_nodes)
    edges = []
    for i in range(len(columns)):
        ok = codes[i] >= 0
        np.add.at(txns, codes[i][ok], 1)
        np.add.at(frauds, codes[i][ok], labels[ok])
        for j in range(i + 1, len(columns)):
            both = ok & (codes[j] >= 0)
            edges.append(np.stack([codes[i][both], codes[j][both]]))
    edge_arr = np.unique(np.concatenate(edges, axis=1), axis=1) if edges else np.zeros((2, 0), np.int64)
    return PastGraph(list(uniques.astype(str)), edge_arr, txns, frauds, columns)


def build_snapshot(past: pd.DataFrame, cutoff_ms: int, sage_scores: np.ndarray | None = None,
                   graph: PastGraph | None = None) -> GraphSnapshot:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = graph or past_graph(past)
    n = len(g.keys)
    adj = coo_matrix((np.ones(g.edges.shape[1]), (g.edges[0], g.edges[1])), shape=(n, n))
    n_comp, comp = connected_components(adj, directed=False)
    degree = np.bincount(np.concatenate([g.edges[0], g.edges[1]]), minlength=n).astype(float)
    # graph_device_cards counts card neighbours only: a device's degree over card nodes.
    is_card = np.array([k.startswith("card:") for k in g.keys])
    card_deg = np.zeros(n)
    a, b = g.edges
    np.add.at(card_deg, b[is_card[a] & ~is_card[b]], 1)
    np.add.at(card_deg, a[is_card[b] & ~is_card[a]], 1)
    comp_nodes = np.bincount(comp, minlength=n_comp)
    comp_txns = np.bincount(comp, weights=g.txns, minlength=n_comp)
    comp_frauds = np.bincount(comp, weights=g.frauds, minlength=n_comp)
    sage = sage_scores if sage_scores is not None else np.full(n, math.nan)
    nodes = {k: [float(g.txns[i]), float(g.frauds[i]), float(card_deg[i] if not is_card[i] else degree[i]),
                 float(comp[i]), float(sage[i])] for i, k in enumerate(g.keys)}
    components = [[float(a), float(b), float(c)] for a, b, c in zip(comp_nodes, comp_txns, comp_frauds)]
    return GraphSnapshot(nodes, components, int(cutoff_ms), sage_scores is not None, g.columns)
