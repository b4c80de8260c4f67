"""The index port: the indexer and (issue #7) the chat executors talk to the search index only through it."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Literal

from smartpay_chat.domain.document import PaymentDocument
from smartpay_chat.domain.summary import Summary, SummaryRow

Outcome = Literal["created", "updated", "duplicate", "stale"]


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did. `duplicate`: this version is already stored; `stale`: a newer one is (no write)."""

    outcome: Outcome
    index: str
    stored_version: int

    @property
    def written(self) -> bool:
        return self.outcome in ("created", "updated")


class PaymentIndex(abc.ABC):
    """Every read takes the merchant and is scoped to it by the engine; writes keep the highest version."""

    name: str

    @abc.abstractmethod
    def upsert(self, document: PaymentDocument) -> UpsertResult:
        """Write the document unless the index holds the same or a newer version of it. Documents are keyed
        by (merchant_id, payment_id): a write never touches another merchant's document."""

    @abc.abstractmethod
    def get(self, merchant_id: str, payment_id: str) -> PaymentDocument | None:
        """The merchant's document, or None (also when the id belongs to another merchant)."""

    @abc.abstractmethod
    def summarize(self, merchant_id: str, summary: Summary) -> list[SummaryRow]:
        """Count and gross amount per group for one merchant, sorted by group values."""

    def close(self) -> None:  # noqa: B027 - optional for adapters without resources
        """Release connections."""
