"""The pure counting of the saga benchmark's load windows (bench/bench_saga.py)."""

from bench.bench_saga import completions, saga_end

T0 = 1_700_000_000.0


def view(status, indexed_at=None, completed_at=None):
    timeline = [{"state": "REQUESTED", "at": "2023-11-14T22:13:20.100+00:00"}]
    if indexed_at:
        timeline.append({"state": "INDEXED", "at": indexed_at})
    return {"status": status, "timeline": timeline, **({"completed_at": completed_at} if completed_at else {})}


def test_a_saga_ends_at_indexed_or_for_a_terminal_unindexed_one_at_its_completion():
    assert saga_end(view("indexed", "2023-11-14T22:13:20.500+00:00")) == T0 + 0.5
    assert saga_end(view("declined", completed_at="2023-11-14T22:13:20.250+00:00")) == T0 + 0.25
    # payment.indexed is on the bus but the payment worker has not written INDEXED yet: not finished
    assert saga_end(view("captured", completed_at="2023-11-14T22:13:20.250+00:00")) is None


def test_a_throttled_read_is_not_a_finished_payment_nor_a_crash():
    # a 429 problem body carries an int status; it must count as unfinished, never as done
    problem = {"type": "urn:smartpay:problem:throttled", "status": 429, "title": "Too Many Requests"}
    assert saga_end(problem) is None


def test_completions_count_each_sent_payment_once_with_its_latency():
    sent = [("pay_A", T0), ("pay_B", T0 + 0.1), ("pay_C", T0 + 0.2), ("pay_D", T0 + 0.3)]
    views = {"pay_A": view("indexed", "2023-11-14T22:13:20.400+00:00"),
             "pay_B": view("captured"),
             "pay_C": view("failed", completed_at="2023-11-14T22:13:21+00:00")}  # pay_D: never read
    ends, lat, unfinished = completions(sent, views)
    assert ends == [T0 + 0.4, T0 + 1.0]
    assert [round(x) for x in lat] == [400, 800]
    assert unfinished == ["pay_B", "pay_D"]
