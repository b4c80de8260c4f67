"""The planner baseline benchmark's pure parts (bench/bench_planner_baseline.py): the keyword guesses and the
old code's materialisation from git."""

import subprocess

import pytest

from bench import bench_planner_baseline as pb


@pytest.mark.parametrize("question, expected", [
    ("approval rate for Stripe in the last 7 days", ("approval_rate", "approval rate in the last 7 days", True)),
    ("how much did we take yesterday in EUR?", ("volume", "total volume yesterday", True)),
    ("fraud declines by country last month", ("fraud_decline_rate", "fraud decline rate last month", True)),
    ("what's the p99 latency past 24 hours", ("latency", "payment latency in the last 24 hours", True)),
    ("refunds issued this week", ("refund_total", "how much was refunded this week", True)),
    ("orders by gateway", ("count", "how many payments", False)),
])
def test_the_keyword_guess_reads_a_metric_and_a_window_and_nothing_else(question, expected):
    assert pb.guess(question, with_window=True) == expected
    metric, _, _ = expected
    unwindowed = pb.guess(question, with_window=False)
    assert unwindowed[0] == metric and unwindowed[2] is False


def test_a_commit_missing_from_the_clone_stops_the_run_with_a_clear_message(tmp_path):
    with pytest.raises(SystemExit, match="not in this clone.*shallow"):
        pb.materialise("0" * 40, tmp_path)


def test_the_old_planner_is_materialised_from_its_commit(tmp_path):
    known = subprocess.run(["git", "-C", str(pb.ROOT), "cat-file", "-e", f"{pb.OLD_COMMIT}^{{commit}}"])
    if known.returncode != 0:
        pytest.skip(f"{pb.OLD_COMMIT} is not in this clone (shallow)")
    root = pb.materialise(pb.OLD_COMMIT, tmp_path)
    suite = (root / "services/chat/smartpay_chat/paraphrase_suite.py").read_text()
    assert 'PARTS = ("tuning", "heldout")' in suite  # the suite as it was then, not today's
    assert (root / "shared/smartpay_shared/pan.py").exists()
    assert (root / "services/chat/smartpay_chat/paraphrases/heldout.txt").exists()
