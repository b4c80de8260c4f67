"""The index port: the indexer and (issue #7) the chat executors talk to the search index only through it."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Literal

from smartpay_chat.domain.batch_writes import WRITTEN
from smartpay_chat.domain.document import PaymentDocument
from smartpay_chat.domain.plan import AggregatePlan, SearchPlan
from smartpay_chat.domain.summary import Summary, SummaryRow
from smartpay_chat.domain.windows import Bounds

Outcome = Literal["created", "updated", "duplicate", "stale"]


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did. `duplicate`: this version is already stored; `stale`: a newer one is (no write)."""

    outcome: Outcome
    index: str
    stored_version: int

    @property
    def written(self) -> bool:
        return self.outcome in WRITTEN


@dataclass(frozen=True)
class QueryResult:
    """Raw engine output of an aggregate plan: rows (group labels + aggregates named as in
    domain/aggregates.py), how many payments matched, up to CITATIONS of their ids, the query as executed."""

    rows: list[dict[str, Any]]
    matched: int
    citations: list[str]
    query: dict[str, Any]


CITATIONS = 10


@dataclass(frozen=True)
class SearchResult:
    """Payments like a description, best first: each hit has its fused score and its rank in each ranking
    (bm25, vector; None = not in that ranking). `mode` is hybrid, or bm25 with the reason vectors were not used."""

    hits: list[dict[str, Any]]
    matched: int
    mode: Literal["hybrid", "bm25"]
    degraded_reason: str | None
    query: dict[str, Any]


class Embedder(abc.ABC):
    """Text -> unit vectors (cosine = dot product). One model per index: its id is stored with the vectors."""

    model_id: str
    dimension: int

    @abc.abstractmethod
    def embed(self, texts: list[str]) -> list[list[float]]: ...


class PaymentIndex(abc.ABC):
    """Every read takes the merchant and is scoped to it by the engine; writes keep the highest version."""

    name: str

    @abc.abstractmethod
    def upsert(self, document: PaymentDocument) -> UpsertResult:
        """Write the document unless the index holds the same or a newer version of it. Documents are keyed
        by (merchant_id, payment_id): a write never touches another merchant's document."""

    def upsert_batch(self, documents: Sequence[PaymentDocument]) -> list[UpsertResult]:
        """Write a queue batch's documents; each gets the outcome `upsert` would have given it, called in order
        (the latest version of each payment wins). Default: exactly that; an adapter may write them at once."""
        return [self.upsert(document) for document in documents]

    @abc.abstractmethod
    def get(self, merchant_id: str, payment_id: str) -> PaymentDocument | None:
        """The merchant's document, or None (also when the id belongs to another merchant)."""

    @abc.abstractmethod
    def summarize(self, merchant_id: str, summary: Summary) -> list[SummaryRow]:
        """Count and gross amount per group for one merchant, sorted by group values."""

    @abc.abstractmethod
    def execute(self, merchant_id: str, plan: AggregatePlan, bounds: Bounds | None) -> QueryResult:
        """Run an aggregate plan for one merchant: the merchant filter is the engine's (a bound parameter or
        a filter clause), never the plan's. Rows hold the group labels and the raw aggregates."""

    @abc.abstractmethod
    def search(self, merchant_id: str, plan: SearchPlan, bounds: Bounds | None) -> SearchResult:
        """Hybrid search within the merchant's payments matching the plan's filters and window: BM25 on
        `search_text` and cosine similarity of embeddings, fused by reciprocal rank (domain/search.py)."""

    def batch(self) -> AbstractContextManager[PaymentIndex]:
        """Group the writes of one queue batch (an adapter may open once and publish once); default: nothing."""
        return nullcontext(self)

    def close(self) -> None:  # noqa: B027 - optional for adapters without resources
        """Release connections."""
