"""The evaluation set through the real planner, service and DuckDB executor (in memory), scored against
answers computed independently from the documents. Fails if accuracy on the planner's families drops
below 95% or if any miss is a wrong figure rather than a refusal."""

from smartpay_chat import evaluation as ev
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
from smartpay_chat.service_layer.planner import DeterministicPlanner


def test_evaluation_set_accuracy():
    docs = ev.documents(1500, seed=5)
    index = DuckDBPaymentIndex(":memory:")
    index.upsert_many(docs)
    chat = Chat(DeterministicPlanner(), InMemorySessions(), lambda: ev.NOW)
    result = ev.evaluate(docs, lambda q, s: ask(chat, index, ev.MERCHANT, q, s))
    assert result["questions"] >= 80
    families = {f: v for f, v in result["per_family"].items() if f != "paraphrase"}
    exact = sum(v["exact"] for v in families.values())
    assert exact / sum(v["questions"] for v in families.values()) >= 0.95, result["misses"]
    assert result["wrong_figures"] == 0, result["misses"]


def test_the_oracle_can_disagree():
    """The scorer is not a rubber stamp: a tampered answer does not match."""
    docs = ev.documents(300, seed=5)
    case = next(c for c in ev.cases(docs) if c.family == "count")
    expected = case.expect(docs)
    answer = {"kind": "aggregate", "plan": {"metric": "count", "group_by": []}, "answer": "",
              "rows": [{"value": int(next(iter(expected["values"].values()), "0")) + 1}]}
    assert not ev.matches(answer, expected)


def test_bulk_load_equals_single_upserts(chat_documents):
    one, bulk = DuckDBPaymentIndex(":memory:"), DuckDBPaymentIndex(":memory:")
    for doc in chat_documents:
        one.upsert(doc)
    assert bulk.upsert_many([*chat_documents, *chat_documents]) == len(chat_documents)  # duplicates: one write
    for doc in chat_documents:
        assert bulk.get(doc.merchant_id, doc.payment_id) == one.get(doc.merchant_id, doc.payment_id) == doc
