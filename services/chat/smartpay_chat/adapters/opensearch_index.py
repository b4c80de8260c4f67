"""Production index on OpenSearch through opensearch-py: writes go to the alias (its write index, e.g.
payments-v1), versions are external (the snapshot version), reads filter on the merchant."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConflictError, NotFoundError
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

from smartpay_chat.adapters import opensearch_bodies as bodies
from smartpay_chat.domain.document import PaymentDocument
from smartpay_chat.domain.errors import IndexUnavailable
from smartpay_chat.domain.summary import Summary, SummaryRow
from smartpay_chat.domain import search as hybrid
from smartpay_chat.domain.plan import AggregatePlan, SearchPlan
from smartpay_chat.domain.windows import Bounds
from smartpay_chat.service_layer.ports import (CITATIONS, Embedder, PaymentIndex, QueryResult, SearchResult,
                                               UpsertResult)


class OpenSearchPaymentIndex(PaymentIndex):
    def __init__(self, client: OpenSearch, *, alias: str = "payments", embedder: Embedder | None = None,
                 no_embedder_reason: str | None = None):
        self._client = client
        self.name = alias
        self._embedder = embedder
        self._no_embedder = no_embedder_reason or "no embedding model configured"
        self._write_vectors = embedder is not None

    @property
    def _dimension(self) -> int | None:
        return self._embedder.dimension if self._embedder else None

    def _vector(self, document: PaymentDocument) -> list[float] | None:
        if not (self._embedder and self._write_vectors):
            return None
        return self._embedder.embed([document.embedding_text])[0]

    def ensure_index(self, version: int = bodies.MAPPING_VERSION) -> str:
        """Create `<alias>-v<version>` behind the alias unless the alias already exists; returns the index."""
        try:
            if self._client.indices.exists_alias(name=self.name):
                index = _write_index(self._client.indices.get_alias(name=self.name), self.name)
                if self._embedder is not None:
                    # An index created before vectors has no search_vector field (strict mapping): writing
                    # one would fail every record. Write without vectors until `smartpay chat reindex`.
                    mapping = self._client.indices.get_mapping(index=index)
                    fields = mapping[index]["mappings"].get("properties", {})
                    self._write_vectors = bodies.VECTOR_FIELD in fields
                return index
            index = bodies.index_name(self.name, version)
            self._client.indices.create(index=index, body=bodies.create_index_body(
                self.name, vector_dimension=self._dimension))
            return index
        except OpenSearchConnectionError as e:
            raise IndexUnavailable(f"OpenSearch unreachable: {e}") from e

    def upsert(self, document: PaymentDocument) -> UpsertResult:
        doc_id = bodies.document_id(document.merchant_id, document.payment_id)
        try:
            response = self._client.index(index=self.name, id=doc_id, body=bodies.to_source(document, self._vector(document)),
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

    def search(self, merchant_id: str, plan: SearchPlan, bounds: Bounds | None) -> SearchResult:
        vector = self._embedder.embed([plan.text])[0] if self._embedder else None
        queries = bodies.search_bodies(merchant_id, plan, bounds, hybrid.CANDIDATES, vector)
        try:
            responses = self._client.msearch(body=bodies.msearch_body(self.name, queries))["responses"]
        except OpenSearchConnectionError as e:
            raise IndexUnavailable(f"OpenSearch unreachable: {e}") from e
        for response in responses[:2]:
            if "error" in response:
                raise IndexUnavailable(f"OpenSearch search failed: {response['error']}")
        rankings = {"bm25": bodies.ranked_ids(responses[1])}
        reason = self._no_embedder
        if vector is not None:
            if "error" in responses[2]:  # e.g. an index built before vectors were enabled
                reason = f"the k-NN query failed ({str(responses[2]['error'])[:200]}); reindex to add vectors"
            else:
                rankings["vector"], reason = bodies.ranked_ids(responses[2]), None
        query = {"engine": "opensearch", "index": self.name, "msearch": queries,
                 "fusion": f"reciprocal rank, k = {hybrid.RRF_K}, depth {hybrid.CANDIDATES}"}
        if vector is not None:  # shown with the query, not 384 floats of it
            query["msearch"][2] = {**queries[2], "query": {"knn": {bodies.VECTOR_FIELD: {
                **queries[2]["query"]["knn"][bodies.VECTOR_FIELD], "vector": f"<{len(vector)} floats>"}}}}
            query["embedding_model"] = self._embedder.model_id
        return SearchResult(hybrid.fuse(rankings, plan.top_k), int(responses[0]["hits"]["total"]["value"]),
                            "hybrid" if reason is None else "bm25", reason, query)

    def rebuild(self, documents: Iterable[PaymentDocument], new_version: int | None = None) -> dict[str, Any]:
        """Reindex from a source of truth (the payments table): bulk-load a new `<alias>-v<n>` keeping each
        snapshot version (external), move the alias in one call, then copy from the old index what the
        indexer wrote meanwhile (external versions keep the newest). Failures stop before the swap."""
        from opensearchpy import helpers

        old_index = _write_index(self._client.indices.get_alias(name=self.name), self.name)
        version = new_version or int(old_index.rsplit("-v", 1)[1]) + 1
        new_index = bodies.index_name(self.name, version)
        self._client.indices.create(index=new_index, body=bodies.create_index_body(
            None, vector_dimension=self._dimension))
        self._write_vectors = self._embedder is not None  # the new index maps the vector field
        actions = ({"_op_type": "index", "_index": new_index, "_id": bodies.document_id(d.merchant_id, d.payment_id),
                    "version": d.version, "version_type": "external", "_source": bodies.to_source(d, self._vector(d))}
                   for d in documents)
        written, errors = helpers.bulk(self._client, actions, chunk_size=500, raise_on_error=False,
                                       raise_on_exception=False, refresh=True)
        failures = [e for e in errors if next(iter(e.values())).get("status") != 409]  # 409: same version twice
        if failures:
            raise RuntimeError(f"bulk load into {new_index} had {len(failures)} failure(s); "
                               f"the alias still points at {old_index}")
        self._client.indices.update_aliases(body=bodies.swap_alias_actions(self.name, old_index, new_index))
        catch_up = self._client.reindex(body=bodies.reindex_body(old_index, new_index), wait_for_completion=True,
                                        refresh=True)
        return {"old_index": old_index, "new_index": new_index, "written": written,
                "carried_over": catch_up.get("created", 0) + catch_up.get("updated", 0)}

    def reindex_and_swap(self, new_version: int) -> dict[str, Any]:
        """Build `<alias>-v<new_version>` with the current mapping, copy every document keeping its version,
        move the alias atomically, then copy again what reached the old index meanwhile (versions make the
        second pass safe). The old index is kept; delete it once the new one is checked."""
        old_index = _write_index(self._client.indices.get_alias(name=self.name), self.name)
        new_index = bodies.index_name(self.name, new_version)
        if new_index == old_index:
            raise ValueError(f"the alias {self.name} already points at {new_index}")
        self._client.indices.create(index=new_index, body=bodies.create_index_body(
            None, vector_dimension=self._dimension))
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
