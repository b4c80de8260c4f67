"""Production index on OpenSearch through opensearch-py: writes go to the alias (its write index, e.g.
payments-v1), versions are external (the snapshot version), reads filter on the merchant."""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConflictError, NotFoundError
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

from smartpay_chat.adapters import opensearch_bodies as bodies
from smartpay_chat.domain.document import PaymentDocument
from smartpay_chat.domain.errors import IndexUnavailable
from smartpay_chat.domain.summary import Summary, SummaryRow
from smartpay_chat.domain.plan import AggregatePlan
from smartpay_chat.domain.windows import Bounds
from smartpay_chat.service_layer.ports import CITATIONS, PaymentIndex, QueryResult, UpsertResult


class OpenSearchPaymentIndex(PaymentIndex):
    def __init__(self, client: OpenSearch, *, alias: str = "payments"):
        self._client = client
        self.name = alias

    def ensure_index(self, version: int = bodies.MAPPING_VERSION) -> str:
        """Create `<alias>-v<version>` behind the alias unless the alias already exists; returns the index."""
        try:
            if self._client.indices.exists_alias(name=self.name):
                return _write_index(self._client.indices.get_alias(name=self.name), self.name)
            index = bodies.index_name(self.name, version)
            self._client.indices.create(index=index, body=bodies.create_index_body(self.name))
            return index
        except OpenSearchConnectionError as e:
            raise IndexUnavailable(f"OpenSearch unreachable: {e}") from e

    def upsert(self, document: PaymentDocument) -> UpsertResult:
        doc_id = bodies.document_id(document.merchant_id, document.payment_id)
        try:
            response = self._client.index(index=self.name, id=doc_id, body=bodies.to_source(document),
                                          **bodies.upsert_params(document))
        except ConflictError:
            # 409: the stored external version is >= ours. Read it (real-time GET) to tell duplicate from stale.
            stored = self._client.get(index=self.name, id=doc_id, _source_includes="version")
            version = int(stored["_source"]["version"])
            return UpsertResult("duplicate" if version == document.version else "stale", stored["_index"], version)
        except OpenSearchConnectionError as e:
            raise IndexUnavailable(f"OpenSearch unreachable: {e}") from e
        outcome = "created" if response["result"] == "created" else "updated"
        return UpsertResult(outcome, response["_index"], document.version)

    def get(self, merchant_id: str, payment_id: str) -> PaymentDocument | None:
        try:
            response = self._client.get(index=self.name, id=bodies.document_id(merchant_id, payment_id))
        except NotFoundError:
            return None
        except OpenSearchConnectionError as e:
            raise IndexUnavailable(f"OpenSearch unreachable: {e}") from e
        source = response["_source"]
        if source.get("merchant_id") != merchant_id:  # defence in depth; the id already carries the merchant
            return None
        return bodies.from_source(source)

    def summarize(self, merchant_id: str, summary: Summary) -> list[SummaryRow]:
        rows: list[SummaryRow] = []
        after: dict[str, Any] | None = None
        while True:
            try:
                response = self._client.search(index=self.name, body=bodies.summary_query(merchant_id, summary, after))
            except OpenSearchConnectionError as e:
                raise IndexUnavailable(f"OpenSearch unreachable: {e}") from e
            page, after = bodies.summary_rows(response)
            rows += page
            if after is None:
                return rows

    def execute(self, merchant_id: str, plan: AggregatePlan, bounds: Bounds | None) -> QueryResult:
        rows: list[dict[str, Any]] = []
        after: dict[str, Any] | None = None
        first_body = None
        while True:
            body = bodies.plan_query(merchant_id, plan, bounds, CITATIONS, after)
            first_body = first_body or body
            try:
                response = self._client.search(index=self.name, body=body)
            except OpenSearchConnectionError as e:
                raise IndexUnavailable(f"OpenSearch unreachable: {e}") from e
            if after is None:
                matched, citations = bodies.plan_citations(response)
            page, after = bodies.plan_rows(plan, response)
            rows += page
            if after is None:
                return QueryResult(rows, matched, citations,
                                   {"engine": "opensearch", "index": self.name, "body": first_body})

    def reindex_and_swap(self, new_version: int) -> dict[str, Any]:
        """Build `<alias>-v<new_version>` with the current mapping, copy every document keeping its version,
        move the alias atomically, then copy again what reached the old index meanwhile (versions make the
        second pass safe). The old index is kept; delete it once the new one is checked."""
        old_index = _write_index(self._client.indices.get_alias(name=self.name), self.name)
        new_index = bodies.index_name(self.name, new_version)
        if new_index == old_index:
            raise ValueError(f"the alias {self.name} already points at {new_index}")
        self._client.indices.create(index=new_index, body=bodies.create_index_body(None))
        body = bodies.reindex_body(old_index, new_index)
        first = self._client.reindex(body=body, wait_for_completion=True, refresh=True)
        if first.get("failures"):
            raise RuntimeError(f"reindex into {new_index} had {len(first['failures'])} failure(s); "
                               f"the alias still points at {old_index}")
        self._client.indices.update_aliases(body=bodies.swap_alias_actions(self.name, old_index, new_index))
        catch_up = self._client.reindex(body=body, wait_for_completion=True, refresh=True)
        return {"old_index": old_index, "new_index": new_index,
                "copied": first.get("created", 0) + first.get("updated", 0),
                "caught_up": catch_up.get("created", 0) + catch_up.get("updated", 0),
                "failures": [*first.get("failures", []), *catch_up.get("failures", [])]}


def _write_index(aliases: dict[str, Any], alias: str) -> str:
    """The index the alias writes to: the one flagged is_write_index, else its only index."""
    flagged = [name for name, body in aliases.items() if body["aliases"][alias].get("is_write_index")]
    if flagged:
        return flagged[0]
    if len(aliases) == 1:
        return next(iter(aliases))
    raise RuntimeError(f"alias {alias} points at {sorted(aliases)} with no write index")
