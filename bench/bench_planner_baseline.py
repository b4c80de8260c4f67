"""The paraphrase suite's plain baselines, in one run (issue #17, standard 8): every part of today's suite
(smartpay_chat/paraphrase_suite.py, scored by today's scorer and oracle on `evaluation.documents(3000)`) answered
by
  - the old planner: the DeterministicPlanner with its service, executor and index as they were at commit
    a36b663 (before any issue #17 planner change), materialised from git into a temp dir and run in a
    subprocess (bench/planner_worker.py), since both codes are the package `smartpay_chat`;
  - the current planner: this tree's code, in this process (and once more through the same subprocess worker,
    which must score the same: the pipe loses nothing);
  - four guessing baselines on the current executor, each turn answered without reading the question's
    filters, grouping, ranking or time zone: always refuse; always `how many payments` (a count over all time);
    a keyword guess of the metric (KEYWORDS below), over all time, unfiltered; the same with a keyword guess of
    the window (WINDOW_WORDS: today, yesterday, this/last week, this/last month, last N days/hours).

The adapter is the pipe and nothing else: the old code's own `ask` answers, its answer's JSON (Decimals and dates
as their str(), which is what the scorer compares) is scored as it is. The answer shape at a36b663 is today's
(kind, plan, query.window, rows); an answer the old code cannot give (an exception) is scored as kind "error", a
miss. Both codes must build the same documents (a fingerprint of their records is compared; the run stops if
they differ).

The harness is checked in the same run: the old code's own suite on its own parts (a36b663's tuning and heldout
files) must give the figures recorded in that commit (194/461, 69/162), and today's scorer on those same files
through the pipe is reported beside them.

`python -m bench planner_baseline` (not in `make bench`'s default set) -> bench/results/planner_baseline.json and
its section of docs/benchmarks.md."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.planner_worker import fingerprint

from smartpay_chat import evaluation as ev
from smartpay_chat import paraphrase_suite as ps
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
from smartpay_chat.service_layer.planner import DeterministicPlanner

ROOT = report.ROOT
OLD_COMMIT = "a36b663"  # "Baseline before any planner change: held-out 69/162 (42.6%), tuning 194/461 (42.1%)"
RECORDED = {"tuning": (194, 461), "heldout": (69, 162)}
CODE = ("services/chat/smartpay_chat", "shared/smartpay_shared")

# The keyword guesses: the first rule whose pattern is in the question (lower case) names the metric (else a
# count); the question then asked of the service is a canonical one built from it, so a guess carries no filter,
# grouping, ranking or time zone. The second guess adds the first window rule that matches (else all time).
KEYWORDS: list[tuple[str, str, str]] = [
    (r"fraud", "fraud_decline_rate", "fraud decline rate"),
    (r"fall ?back|fell back|failover|reroute", "fallback_rate", "fallback rate"),
    (r"refund\w* rate|rate of refund|share .*refund|% .*refund|percent.*refund", "refund_rate", "refund rate"),
    (r"approv|success|accept|authori[sz]ation rate|conversion", "approval_rate", "approval rate"),
    (r"declin|reject|fail", "decline_rate", "decline rate"),
    (r"latency|how long|slow|fast|p\d\d|percentile|seconds|\bms\b|duration", "latency", "payment latency"),
    (r"refund", "refund_total", "how much was refunded"),
    (r"average|avg|aov|basket|typical", "average_order_value", "average order value"),
    (r"\bnet\b", "net", "net revenue"),
    (r"volume|how much|revenue|sales|gpv|money|amount|total|take|took|made|earn|value|sum", "volume",
     "total volume"),
]
COUNT_QUESTION = "how many payments"
WINDOW_WORDS: list[tuple[str, str]] = [
    (r"\btoday\b", "today"), (r"\byesterday\b", "yesterday"), (r"this week", "this week"),
    (r"(last|previous|past) week", "last week"), (r"this month|month to date|\bmtd\b", "this month"),
    (r"(last|previous|past) month", "last month"),
    (r"(last|past) (\d+) days", "in the last {1} days"), (r"(last|past) (\d+) hours", "in the last {1} hours"),
]


def materialise(commit: str, into: Path) -> Path:
    """The chat service and shared library as they were at `commit`, unpacked under `into`."""
    known = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
                           capture_output=True, text=True)
    if known.returncode != 0:
        raise SystemExit(f"planner_baseline: commit {commit} (the old planner) is not in this clone at {ROOT}; "
                         "a shallow clone lacks it: `git fetch --unshallow` (or fetch that commit) and rerun.")
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit, *CODE], capture_output=True,
                         check=True)
    with tarfile.open(fileobj=io.BytesIO(tar.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


class Worker:
    """bench/planner_worker.py over a pipe, with the given code first on its path."""

    def __init__(self, label: str, code_root: Path) -> None:
        paths = [code_root / "services" / "chat", code_root / "shared", ROOT]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in paths)}
        self.label = label
        self.process = subprocess.Popen([sys.executable, "-m", "bench.planner_worker"], cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        header = self.process.stdout.readline()
        if not header:
            raise SystemExit(f"planner_baseline: the {label} worker did not start (its stderr is above)")
        self.header = json.loads(header)
        if not self.header["smartpay_chat"].startswith(str(code_root)):
            raise SystemExit(f"planner_baseline: the {label} worker imported {self.header['smartpay_chat']}, "
                             f"not the code under {code_root}")

    def _call(self, request: dict[str, Any]) -> Any:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"planner_baseline: the {self.label} worker died (its stderr is above)")
        return json.loads(line)

    def asker(self, tag: str):
        """ask(question, session) for one scoring run; `tag` keeps each run's sessions apart."""
        return lambda question, session: self._call({"q": question, "s": f"{tag}/{session}"})

    def own_suite(self) -> dict[str, list[int]]:
        return self._call({"own_suite": True})

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


class Guesses:
    """The guessing baselines' answers: a fixed question per guess, asked once of the current service and checked
    to plan what it claims (the metric; no filter, grouping or ranking; a window only when one was guessed)."""

    def __init__(self, index) -> None:
        self.index, self.answers = index, {}
        self.chat = Chat(DeterministicPlanner(), InMemorySessions(), lambda: ev.NOW)

    def answer(self, metric: str, question: str, windowed: bool) -> dict[str, Any]:
        if question not in self.answers:
            answer = ask(self.chat, self.index, ev.MERCHANT, question, None)
            plan = answer["plan"]
            filters = {k: v for k, v in plan.get("filters", {}).items() if v not in (None, [], False)}
            if (answer["kind"] != "aggregate" or plan.get("metric") != metric or plan.get("group_by")
                    or plan.get("top_n") or (answer["query"]["window"] is not None) != windowed
                    or (filters and not (set(filters) == {"statuses"} and metric in ps.MONEY))):
                raise SystemExit(f"planner_baseline: the guess {question!r} plans {plan}, not an unfiltered "
                                 f"{metric}{' in a window' if windowed else ' over all time'}")
            self.answers[question] = answer
        return self.answers[question]

    def count(self, text: str) -> dict[str, Any]:
        return self.answer("count", COUNT_QUESTION, False)

    def keyword(self, text: str, with_window: bool = False) -> dict[str, Any]:
        return self.answer(*guess(text, with_window))


def guess(text: str, with_window: bool) -> tuple[str, str, bool]:
    """(metric, the canonical question, whether it names a window) for a question, by keywords alone."""
    lowered = text.lower()
    metric, question = next(((m, q) for pattern, m, q in KEYWORDS if re.search(pattern, lowered)),
                            ("count", COUNT_QUESTION))
    window = None
    if with_window:
        found = next((m for m in (re.search(p, lowered) for p, _ in WINDOW_WORDS) if m), None)
        if found:
            window = dict(WINDOW_WORDS)[found.re.pattern].format(*found.groups())
    return metric, f"{question} {window}" if window else question, window is not None


def _figures(result: dict[str, Any]) -> dict[str, Any]:
    errors = sum(1 for m in result["misses"] if m["kind"] == "error")
    return {"right": result["right"], "questions": result["questions"], "accuracy": result["accuracy"],
            "refused_instead": result["refused_instead"], "answered_wrongly": result["answered_wrongly"] - errors,
            "errors": errors}


def _pct(right: int, total: int) -> str:
    return f"{right}/{total} ({100 * right / total:.1f} %)"


def run() -> bool:
    started = time.perf_counter()
    docs = list(ev.documents(3000))
    index = DuckDBPaymentIndex(":memory:")
    index.upsert_many(docs)
    mine = fingerprint(docs)

    def current(tag: str):
        chat = Chat(DeterministicPlanner(), InMemorySessions(), lambda: ev.NOW)  # fresh sessions per run
        return lambda q, s: ask(chat, index, ev.MERCHANT, q, s)

    guesses = Guesses(index)
    refuse = {"kind": "refusal", "answer": "", "plan": {}, "query": None, "rows": []}
    baselines = {"always_refuse": lambda q, s: refuse,
                 "always_count_all_time": lambda q, s: guesses.count(q),
                 "keyword_metric_all_time": lambda q, s: guesses.keyword(q),
                 "keyword_metric_and_window": lambda q, s: guesses.keyword(q, with_window=True)}

    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    old_full = subprocess.run(["git", "-C", str(ROOT), "rev-parse", f"{OLD_COMMIT}^{{commit}}"], capture_output=True,
                              text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="planner-baseline-") as tmp:
        old_root = materialise(OLD_COMMIT, Path(tmp))
        old, pipe = Worker("old planner", old_root), Worker("current planner", ROOT)
        try:
            for worker in (old, pipe):
                if worker.header["fingerprint"] != mine:
                    raise SystemExit(f"planner_baseline: the {worker.label}'s evaluation.documents(3000) differ "
                                     "from today's: its answers would not be over the same payments")
            # The harness check: the old code's own suite on its own files, and today's scorer on those files.
            old_own = old.own_suite()
            old_files = old_root / "services" / "chat" / "smartpay_chat" / "paraphrases"
            check = {}
            for part, recorded in RECORDED.items():
                rescored = ps.run(part, docs, old.asker(f"check-{part}"), folder=old_files)
                check[part] = {"recorded_at_commit": list(recorded), "old_code_own_suite": old_own[part],
                               "todays_scorer_on_the_commits_file": [rescored["right"], rescored["questions"]],
                               "reproduced": old_own[part] == list(recorded)
                               and [rescored["right"], rescored["questions"]] == list(recorded)}
            parts, through_pipe_differs = {}, []
            for part in ps.PARTS:
                row = {"old_planner": _figures(ps.run(part, docs, old.asker(part))),
                       "current_planner": _figures(ps.run(part, docs, current(part)))}
                piped = ps.run(part, docs, pipe.asker(part))
                if piped["right"] != row["current_planner"]["right"]:
                    through_pipe_differs.append(part)
                for name, guess in baselines.items():
                    row[name] = _figures(ps.run(part, docs, guess))
                parts[part] = row
        finally:
            old.close()
            pipe.close()
    index.close()
    if through_pipe_differs:
        raise SystemExit(f"planner_baseline: the current planner scores differently through the pipe on "
                         f"{through_pipe_differs}: the adapter loses something")

    columns = ["old_planner", "current_planner", *baselines]
    totals = {}
    for name, chosen in (("heldout_all", [p for p in ps.PARTS if p != "tuning"]), ("all_parts", list(ps.PARTS))):
        totals[name] = {c: {"right": sum(parts[p][c]["right"] for p in chosen),
                            "questions": sum(parts[p][c]["questions"] for p in chosen)} for c in columns}
    seconds = round(time.perf_counter() - started, 1)

    titles = {"old_planner": f"old planner ({OLD_COMMIT})", "current_planner": "current planner",
              "always_refuse": "always refuse", "always_count_all_time": "always count, all time",
              "keyword_metric_all_time": "keyword metric, all time",
              "keyword_metric_and_window": "keyword metric + window"}
    lines = ["| part | " + " | ".join(titles[c] for c in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for part, row in [*parts.items(), *totals.items()]:
        lines.append(f"| {part} | " + " | ".join(_pct(row[c]["right"], row[c]["questions"]) for c in columns) + " |")
    table = "\n".join(lines)
    harness = "; ".join(f"{part}: recorded {c['recorded_at_commit'][0]}/{c['recorded_at_commit'][1]}, the old code's "
                        f"own suite {c['old_code_own_suite'][0]}/{c['old_code_own_suite'][1]}, today's scorer on "
                        f"the commit's file {c['todays_scorer_on_the_commits_file'][0]}/"
                        f"{c['todays_scorer_on_the_commits_file'][1]}" for part, c in check.items())
    print(table)
    print(f"harness check ({OLD_COMMIT}'s files): {harness}")
    section = (f"## Chat planner vs plain baselines (paraphrase suite, every part)\n\n"
               f"Every part of today's suite, scored by today's scorer on `evaluation.documents(3000)`, in one run: "
               f"the DeterministicPlanner with its service and executor as of {OLD_COMMIT} (before any issue #17 "
               f"planner change, from git, in a subprocess), today's planner, and four guesses on today's "
               f"executor (always refuse; always a count over all time; a keyword guess of the metric over all "
               f"time; the same with a keyword guess of the window). Today's planner was fixed on each held-out "
               f"batch after its blind measurement (docs/chat.md has the blind figures), so its column here is "
               f"not blind except where a batch has had no fixes yet; the old planner's and the guesses' are. "
               f"Harness check: {harness}.\n\n{table}\n")
    report.write("planner_baseline", {
        "old_commit": old_full, "current_commit": head, "documents": len(docs), "documents_fingerprint": mine,
        "old_code": old.header["smartpay_chat"], "seconds": seconds, "harness_check": check,
        "keywords": [[p, m] for p, m, _ in KEYWORDS], "window_words": WINDOW_WORDS,
        "guess_questions": sorted(guesses.answers), "parts": parts, "totals": totals,
        "note": "same run; right = plan and every figure as expected (paraphrase_suite.score); errors = the old "
                "code raised (scored a miss); the current planner also scored through the subprocess worker, "
                "same figures"}, section)
    return all(c["reproduced"] for c in check.values())
