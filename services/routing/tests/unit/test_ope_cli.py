"""`smartpay routing ope` on real files: every bad line is named with its line number and exits 2 (never a
traceback), the JSON output is valid JSON, gzip reads like plain, and per-row candidates (a field of the log
or a second file keyed by row) give the same answer."""

import gzip
import json

import pytest
from typer.testing import CliRunner

from smartpay_routing.adapters.vw_policy import VowpalPolicy
from smartpay_routing.entrypoints.cli import app

runner = CliRunner()
GOOD = {"context": {"amount": 4200, "currency": "EUR", "method": "card", "country": "DE", "risk_score": 0.1},
        "actions": ["stripe", "amazon_pay", "solana"], "action": "stripe", "reward": 0.7, "propensity": 0.5,
        "cand": [0.2, 0.5, 0.3]}


def lines(n=40):
    out = []
    for i in range(n):
        action = GOOD["actions"][i % 3]
        out.append({**GOOD, "action": action, "reward": (i % 5) / 5, "propensity": 1 / 3,
                    "context": {**GOOD["context"], "amount": 1000 + 37 * i}})
    return out


def write(path, rows, extra=b""):
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in rows) + extra)
    return path


def ope(*args):
    return runner.invoke(app, ["ope", "--no-progress", *map(str, args)])


def strict_json(text):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


BAD_LINES = [
    ({**GOOD, "context": {**GOOD["context"], "amount": None}}, "checkpoint", "context cannot be routed"),
    ({**GOOD, "context": ["amount", 1]}, "static", "context: Input should be an object"),
    ({**GOOD, "reward": "0.7"}, "static", "reward: Input should be a valid number"),
    ({**GOOD, "reward": True}, "static", "reward: Input should be a valid number"),
    ({**GOOD, "actions": ["stripe", "stripe"]}, "static", "['stripe'] more than once"),
    ({**GOOD, "action": "paypal"}, "static", "not among the actions"),
    ({**GOOD, "propensity": 0}, "static", "propensity must be in (0, 1]"),
    ({**GOOD, "propensity": 1.5}, "static", "propensity must be in (0, 1]"),
    ({k: v for k, v in GOOD.items() if k != "reward"}, "static", "missing field(s) ['reward']"),
    ({**GOOD, "actions": []}, "static", "actions: List should have at least 1 item"),
    ({**GOOD, "context": {"currency": "EUR"}}, "static", "static rules need context.method"),
    ({**GOOD, "cand": [0.5, 0.5, 0.5]}, "field:cand", "sum to 1.5"),
    ({**GOOD, "cand": [0.5, 0.5]}, "field:cand", "2 candidate probabilities for 3 actions"),
    ({**GOOD, "cand": {"paypal": 1.0}}, "field:cand", "name ['paypal']"),
    ({k: v for k, v in GOOD.items() if k != "cand"}, "field:cand", "no candidate field 'cand'"),
]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("vw") / "model.vw"
    path.write_bytes(VowpalPolicy().to_bytes())
    return path


@pytest.mark.parametrize("bad, policy, message", BAD_LINES)
def test_a_bad_line_is_named_and_exits_2(tmp_path, checkpoint, bad, policy, message):
    log = write(tmp_path / "log.jsonl", [*lines(5), bad, *lines(2)])
    result = ope("--log", log, "--policy", checkpoint if policy == "checkpoint" else policy)
    assert result.exit_code == 2, result.output
    assert "line 6" in result.output and message in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("raw, message", [
    (b'{"context": {}, "actions": ["a"], "action": "a", "reward": NaN, "propensity": 1}', "finite number"),
    (b'{"context": {}, "actions": ["a"], "action": "a", "reward": 1, "propensity": Infinity}', "finite number"),
    (b'{"context": {"x": NaN}, "actions": ["a"], "action": "a", "reward": 1, "propensity": 1}', "not a finite"),
    (b'{"context": {"m": "\xff"}, "actions": ["a"], "action": "a", "reward": 1, "propensity": 1}', "unicode"),
    (b'{"context": {}, "actions": ["a"], "action": "a", "reward": 1, "propensity": 1', "Invalid JSON"),
    (b'[1, 2]', "Input should be an object"),
])
def test_what_json_or_utf_8_cannot_hold_is_named_by_line(tmp_path, raw, message):
    log = write(tmp_path / "log.jsonl", lines(3), extra=b"\n" + raw + b"\n")  # line 4 blank, line 5 bad
    result = ope("--log", log, "--policy", "uniform")
    assert result.exit_code == 2 and "line 5" in result.output and message in result.output, result.output


def test_json_output_is_valid_json_even_when_an_estimate_is_undefined(tmp_path):
    rows = [{**r, "cand": [0.0 if a == r["action"] else 0.5 for a in r["actions"]]} for r in lines(30)]
    result = ope("--log", write(tmp_path / "log.jsonl", rows), "--policy", "field:cand", "--json")
    assert result.exit_code == 0, result.output
    out = strict_json(result.stdout)
    snips = next(e for e in out["estimates"] if e["estimator"] == "snips")
    assert snips["value"] is None and snips["ci95"] is None
    assert any("SNIPS is undefined" in w for w in out["warnings"])


def test_gzip_reads_like_plain_and_a_cut_gzip_is_named(tmp_path):
    plain = write(tmp_path / "log.jsonl", lines(200))
    packed = tmp_path / "log.data"  # told by its magic bytes, not its name
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = ope("--log", plain, "--policy", "static", "--json"), ope("--log", packed, "--policy", "static", "--json")
    assert a.exit_code == b.exit_code == 0
    assert strict_json(a.stdout)["estimates"] == strict_json(b.stdout)["estimates"]
    packed.write_bytes(packed.read_bytes()[:-30])
    result = ope("--log", packed, "--policy", "static")
    assert result.exit_code == 2 and "gzip stream is damaged or cut short" in result.output, result.output


def test_a_second_file_keyed_by_row_equals_the_field(tmp_path):
    rows = lines(60)
    log = write(tmp_path / "log.jsonl", rows[:30], extra=b"\n" + b"".join(json.dumps(r).encode() + b"\n"
                                                                       for r in rows[30:]))  # line 31 blank
    numbers = [*range(1, 31), *range(32, 62)]
    cand = tmp_path / "cand.jsonl"
    cand.write_text("".join(json.dumps({"row": n, "probabilities": dict(zip(r["actions"], r["cand"]))}) + "\n"
                            for n, r in zip(numbers, rows)))
    by_field = ope("--log", log, "--policy", "field:cand", "--json")
    by_file = ope("--log", log, "--policy", cand, "--json")
    assert by_field.exit_code == by_file.exit_code == 0, by_file.output
    assert strict_json(by_field.stdout)["estimates"] == strict_json(by_file.stdout)["estimates"]

    entries = cand.read_text().splitlines()
    for broken, message in [(entries[:-1], "ends before the decision at log line 61"),
                            (entries + [json.dumps({"row": 99, "probabilities": [1, 0, 0]})],
                             "row 99 is not a decision of the log"),
                            (entries[:30] + entries[31:], "cand.jsonl line 31: row 33 where the log's next "
                                                          "decision is at line 32"),
                            (entries[:1] + entries[:1] + entries[1:], "row 1 where the log's next decision is at "
                                                                      "line 2 (rows must be listed once each"),
                            (entries[:4] + ['{"row": 5, "probabilities": [1, 1, 0]}'] + entries[5:],
                             "cand.jsonl line 5 (row 5): candidate probabilities sum to 2")]:
        cand.write_text("\n".join(broken) + "\n")
        result = ope("--log", log, "--policy", cand)
        assert result.exit_code == 2 and message in result.output, (message, result.output)


def test_a_json_policy_file_without_rows_and_a_file_that_is_no_model_exit_2(tmp_path):
    log = write(tmp_path / "log.jsonl", lines(10))
    policy = tmp_path / "policy.json"
    policy.write_text('{"stripe": 0.5, "amazon_pay": 0.5}\n')
    result = ope("--log", log, "--policy", policy)
    assert result.exit_code == 2 and "policy.json line 1: missing field(s) ['row', 'probabilities']" in result.output, result.output
    junk = tmp_path / "model.vw"
    junk.write_bytes(b"\x00not a model at all" * 10)
    result = ope("--log", log, "--policy", junk)
    assert result.exit_code == 2 and "not a VW checkpoint" in result.output, result.output
    result = ope("--log", log, "--policy", "static", "--greedy")
    assert result.exit_code == 2 and "--greedy applies to a VW checkpoint only" in result.output


def test_too_many_actions_for_the_memory_cap_is_named_by_line(tmp_path):
    rows = [{**GOOD, "actions": [f"g{i}"], "action": f"g{i}", "propensity": 1.0} for i in range(40)]
    result = ope("--log", write(tmp_path / "log.jsonl", rows), "--policy", "uniform", "--q-memory-mb", "20",
                 "--q-bits", "10")
    assert result.exit_code == 2 and "would exceed 20 MB" in result.output, result.output
    assert " line " in result.output


def test_progress_reports_every_byte_of_both_passes(tmp_path):
    from smartpay_routing.adapters.decision_log import JsonlDecisionLog
    from smartpay_routing.service_layer.candidates import Uniform
    from smartpay_routing.service_layer.evaluation import evaluate

    log = write(tmp_path / "log.jsonl", lines(5000))
    done = {}

    class Sink:
        def task(self, description, total):
            done[description] = [total, 0]
            return lambda n: done[description].__setitem__(1, done[description][1] + n)

    evaluate(JsonlDecisionLog(log), Uniform(), progress=Sink())
    assert done.pop("reward model: folds fitted") == [5, 5]
    assert set(done) == {"pass 1/2: reward model", "pass 2/2: estimators"}
    assert all(total == seen == log.stat().st_size for total, seen in done.values())


def test_a_weight_beyond_float64_squares_gives_nulls_not_nan(tmp_path):
    rows = lines(30)
    rows[0] = {**rows[0], "propensity": 1e-300, "reward": 1.0}  # w = 0.2 / 1e-300: w^2 overflows
    result = ope("--log", write(tmp_path / "log.jsonl", rows), "--policy", "field:cand", "--json")
    assert result.exit_code == 0, result.output
    out = strict_json(result.stdout)
    ips = next(e for e in out["estimates"] if e["estimator"] == "ips")
    assert ips["value"] > 1e290 and ips["ci95"] is None  # the variance overflowed: null, not NaN
    assert any("effective sample size" in w for w in out["warnings"])
