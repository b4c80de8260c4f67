"""A batch of document writes decided in one pass, as if each were applied alone in the batch's order: the
index keeps the highest version of each (merchant, payment), so one write per key is enough, and every
document gets the outcome it would have had on its own. Pure: the adapter reads the stored versions once,
calls `plan`, then writes `rows` (and `vectors`) in one statement each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from smartpay_chat.domain.document import PaymentDocument

WRITTEN = ("created", "updated")  # the outcomes that wrote the row (duplicate and stale did not)

Key = tuple[str, str]  # (merchant_id, payment_id): the merchant is part of every key


def key_of(document: PaymentDocument) -> Key:
    return document.merchant_id, document.payment_id


@dataclass(frozen=True)
class Decision:
    """One document's outcome (created, updated, duplicate or stale) and the version stored after it."""

    outcome: str
    stored_version: int

    @property
    def written(self) -> bool:
        return self.outcome in WRITTEN


@dataclass(frozen=True)
class BatchPlan:
    decisions: list[Decision]  # one per document, in the batch's order
    rows: list[PaymentDocument]  # the row each written key ends with (its highest version; the first of equals)
    # Per key, the last document that was written or a duplicate: its vector is written (a duplicate's again:
    # the delivery that wrote the row may have died before its vector). None for a key whose every write is stale.
    vectors: list[PaymentDocument]


def plan(documents: Sequence[PaymentDocument], stored: Mapping[Key, int]) -> BatchPlan:
    """`stored`: the versions the index holds for the batch's keys (a key it does not hold is absent)."""
    current = dict(stored)
    rows: dict[Key, PaymentDocument] = {}
    vectors: dict[Key, PaymentDocument] = {}
    decisions = []
    for document in documents:
        key = key_of(document)
        have = current.get(key)
        if have is None or have < document.version:
            decisions.append(Decision("created" if key not in stored and key not in rows else "updated",
                                      document.version))
            current[key] = document.version
            rows[key] = vectors[key] = document
        elif have == document.version:
            decisions.append(Decision("duplicate", have))
            vectors[key] = document
        else:
            decisions.append(Decision("stale", have))
    return BatchPlan(decisions, list(rows.values()), list(vectors.values()))
