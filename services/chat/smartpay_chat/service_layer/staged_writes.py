"""A queue batch's index writes done at once, before its records are handled one by one (the queue consumer
reports each record's failure on its own; the writes need not wait for it)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from smartpay_shared.events import Envelope

from smartpay_chat.domain.document import PaymentDocument
from smartpay_chat.domain.plan import AggregatePlan, SearchPlan
from smartpay_chat.domain.summary import Summary, SummaryRow
from smartpay_chat.domain.windows import Bounds
from smartpay_chat.service_layer.ports import PaymentIndex, QueryResult, SearchResult, UpsertResult


class StagedWrites(PaymentIndex):
    """A queue batch's writes, done before its records are handled: `stage` writes the documents of every
    record it could read in one `upsert_batch`, and each handler's `upsert` then takes its document's result
    (per (merchant, payment, version), in the batch's order) instead of writing again. `payment.indexed` is
    still published only after the write is committed. A document that was not staged (its record could not
    be read, or staging failed and wrote nothing) is written on its own, as before. Reads go to the index."""

    def __init__(self, index: PaymentIndex):
        self._index = index
        self.name = index.name
        self._results: dict[tuple[str, str, int], deque[UpsertResult]] = {}
        self._documents: dict[str, tuple[Envelope, PaymentDocument]] = {}

    def stage(self, staged: list[tuple[Envelope, PaymentDocument]]) -> None:
        """`staged`: each readable record's event and the document it writes (`handlers.document_for`)."""
        for envelope, document in staged:
            self._documents[envelope.metadata.event_id] = (envelope, document)
        documents = [document for _, document in staged]
        for document, result in zip(documents, self._index.upsert_batch(documents), strict=True):
            self._results.setdefault(_version_key(document), deque()).append(result)

    def document(self, envelope: Envelope) -> PaymentDocument | None:
        """The document staged for this event (the record's own, read again by the consumer: an equal envelope),
        so its handler does not build it a second time (~2 ms: the build and the card-number guard); None when
        it was not staged."""
        staged = self._documents.get(envelope.metadata.event_id)
        return staged[1] if staged is not None and staged[0] == envelope else None

    def upsert(self, document: PaymentDocument) -> UpsertResult:
        staged = self._results.get(_version_key(document))
        if staged:
            return staged.popleft()
        return self._index.upsert(document)

    def upsert_batch(self, documents: Sequence[PaymentDocument]) -> list[UpsertResult]:
        return [self.upsert(document) for document in documents]

    def get(self, merchant_id: str, payment_id: str) -> PaymentDocument | None:
        return self._index.get(merchant_id, payment_id)

    def summarize(self, merchant_id: str, summary: Summary) -> list[SummaryRow]:
        return self._index.summarize(merchant_id, summary)

    def execute(self, merchant_id: str, plan: AggregatePlan, bounds: Bounds | None) -> QueryResult:
        return self._index.execute(merchant_id, plan, bounds)

    def search(self, merchant_id: str, plan: SearchPlan, bounds: Bounds | None) -> SearchResult:
        return self._index.search(merchant_id, plan, bounds)


def _version_key(document: PaymentDocument) -> tuple[str, str, int]:
    return document.merchant_id, document.payment_id, document.version
