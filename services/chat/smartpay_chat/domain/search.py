"""Hybrid search, engine-neutral: reciprocal rank fusion of a BM25 ranking and a vector ranking. Both adapters
rank candidates within the merchant's scope and fuse here, so the same rankings give the same ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

RRF_K = 60  # the constant of Cormack et al. (2009), also OpenSearch's and Elasticsearch's default
CANDIDATES = 100  # how deep each ranking goes before fusion


def fuse(rankings: Mapping[str, Sequence[str]], top_k: int, k: int = RRF_K) -> list[dict[str, Any]]:
    """score(d) = sum over rankings of 1 / (k + rank), rank from 1; ties broken by payment id.
    Each hit carries its rank in every ranking (None where absent)."""
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int | None]] = {}
    for name, ids in rankings.items():
        for position, payment_id in enumerate(ids, start=1):
            scores[payment_id] = scores.get(payment_id, 0.0) + 1.0 / (k + position)
            ranks.setdefault(payment_id, {n: None for n in rankings})[name] = position
    ordered = sorted(scores, key=lambda pid: (-scores[pid], pid))[:top_k]
    return [{"payment_id": pid, "score": round(scores[pid], 6), **{f"{n}_rank": r for n, r in ranks[pid].items()}}
            for pid in ordered]
