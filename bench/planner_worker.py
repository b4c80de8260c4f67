"""One chat service, whichever `smartpay_chat` is first on PYTHONPATH, answering over a pipe (one JSON object a
line). bench/bench_planner_baseline.py starts it twice: on a past commit's code (materialised from git) and on
this tree's, so both planners are fed and read the same way in one run.

It builds its own index from its own `evaluation.documents(3000)` (the DeterministicPlanner, InMemorySessions and
the DuckDB index, as services/chat/tests/unit/test_paraphrases.py does) and first prints a fingerprint of those
documents, so the caller can check that both codes answer over the same payments. Then, per line:
  {"q": question, "s": session}  -> the code's own `ask` answer, JSON (Decimals, dates: their str(), which is
                                    what the suite's scorer compares); an exception is answered as kind "error"
                                    (the suite scores it a miss, as it would a wrong answer)
  {"own_suite": true}            -> that code's own paraphrase suite on its own parts (fresh sessions):
                                    {part: [right, questions]}

Run only as a subprocess: `python -m bench.planner_worker` with the code's paths first on PYTHONPATH."""

from __future__ import annotations

import hashlib
import json
import sys
import traceback


def fingerprint(documents) -> str:
    """sha256 over the documents' records (sorted keys, str() of Decimals and datetimes), in order."""
    digest = hashlib.sha256()
    for doc in documents:
        digest.update(json.dumps(doc.to_record(), sort_keys=True, default=str).encode())
    return digest.hexdigest()


def main() -> int:
    import smartpay_chat
    from smartpay_chat import evaluation as ev
    from smartpay_chat import paraphrase_suite
    from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
    from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
    from smartpay_chat.service_layer.planner import DeterministicPlanner

    docs = list(ev.documents(3000))
    index = DuckDBPaymentIndex(":memory:")
    index.upsert_many(docs)
    chat = Chat(DeterministicPlanner(), InMemorySessions(), lambda: ev.NOW)

    def answer(question: str, session: str) -> dict:
        return ask(chat, index, ev.MERCHANT, question, session)

    out = sys.stdout
    out.write(json.dumps({"smartpay_chat": smartpay_chat.__file__, "documents": len(docs),
                          "fingerprint": fingerprint(docs)}) + "\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("own_suite"):
            own, fresh = {}, Chat(DeterministicPlanner(), InMemorySessions(), lambda: ev.NOW)
            for part in paraphrase_suite.PARTS:
                result = paraphrase_suite.run(part, docs, lambda q, s: ask(fresh, index, ev.MERCHANT, q, s))
                own[part] = [result["right"], result["questions"]]
            reply = own
        else:
            try:
                reply = answer(request["q"], request["s"])
            except Exception as exc:  # a plan shape the code cannot answer: a miss, reported as such
                reply = {"kind": "error", "answer": f"{type(exc).__name__}: {exc}"[:300], "plan": {}, "rows": [],
                         "query": None, "trace": traceback.format_exc(limit=3)[-600:]}
        out.write(json.dumps(reply, default=str) + "\n")
        out.flush()
    index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
