"""Issue #18 item 5: agreement with obp (the reference library of the people who published the Open Bandit
Dataset) on the sample of that data set obp ships. Runs when the test-only obp environment exists
(obp_env.sh); skipped, with the reason, otherwise. Takes several minutes (obp fits four reward models per file).
SMARTPAY_OBP_FILES=random_men,... picks files (default: all six)."""

import os

import pytest

from compare_obp import FILES, compare, obp_missing, run_obp, run_ours

MISSING = obp_missing()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
CHOSEN = os.environ.get("SMARTPAY_OBP_FILES", ",".join(FILES)).split(",")
# Measured (docs/routing.md): on bts_all our reward model is the mean (nested cross-validation finds nothing
# better), so DR stays at SNIPS, 0.002326, 3% under the lowest of obp's four reward models (0.002394); DR-OS
# 0.002786 against obp's DR-OS 0.002807 .. 0.003617. Strict: the mark must go when it starts to pass.
BELOW_OBP = pytest.mark.xfail(strict=True, reason="bts_all: DR and DR-OS just under obp's spread (docs/routing.md)")


def files(marked):
    return [pytest.param(name, marks=BELOW_OBP) if name in marked else name for name in CHOSEN]


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    out = tmp_path_factory.mktemp("obp")
    reference = run_obp(out, CHOSEN, bootstrap=1000)
    return compare(reference, {name: run_ours(out, name, reference) for name in reference["files"]})


@pytest.mark.parametrize("name", CHOSEN)
def test_ips_and_snips_equal_obp_to_1e_9(rows, name):
    assert rows[name]["ips_difference"] <= 1e-9
    assert rows[name]["snips_difference"] <= 1e-9


@pytest.mark.parametrize("name", files({"bts_all"}))
def test_dr_lies_within_the_spread_of_obp_dr_over_reward_models(rows, name):
    r = rows[name]
    assert r["dr_within_spread"], (r["ours"]["dr"]["value"], r["obp_dr_spread"])


@pytest.mark.parametrize("name", files({"bts_all"}))
def test_dr_os_lies_within_the_spread_of_obp_dr_os_over_reward_models(rows, name):
    # like for like (same shrinkage lambda). Against obp's *DR* it departs by design where one weight is huge:
    # on bts_women (a propensity of 1e-6) obp's DR is negative and DR-OS is not (docs/routing.md).
    r = rows[name]
    assert r["dr_os_within_obp_dr_os_spread"], (r["ours"]["dr_os"]["value"], r["obp_dr_os_spread"])


@pytest.mark.parametrize("name", CHOSEN)
def test_every_interval_is_finite_and_holds_its_estimate(rows, name):
    for est in rows[name]["ours"].values():
        for pair in (est["ci95"], est["bootstrap_ci95"]):
            assert pair is not None and pair[0] <= est["value"] <= pair[1], est
