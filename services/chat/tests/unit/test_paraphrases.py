"""The paraphrase suite (issue #17 item 2) through the real planner, service and DuckDB executor, scored against
plans written by hand and figures computed independently (smartpay_chat/paraphrase_suite.py). The parts are
scored separately, each against a floor (a regression fails). The held-out batches' blind first measurements,
which missed the 97 % target, are in docs/chat.md; the floors are today's figures after the fixes they led to."""

import re
from pathlib import Path

import pytest

from smartpay_chat import evaluation as ev
from smartpay_chat import paraphrase_suite as ps
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
from smartpay_chat.service_layer.planner import DeterministicPlanner

# (accuracy, wrong answers at most): the 97 % target where it is met now, else today's figure (docs/chat.md has the
# blind first measurements: 156/162, 40/44, 61/65, 122/146 with 8 wrong, 144/158 with 4 wrong, 145/160 with 1 wrong,
# 133/160 with 4 wrong).
# heldout_d's floor is its figure after the fixes its measurement led to (not blind): 145/146, no wrong answer, then
# 146/146 once heldout_g's fixes set a story in front of the question aside ("a customer from Spain says ...");
# heldout_e's likewise: 157/158, the one miss a plan shape its expected answer and heldout_b's disagree on
# (docs/chat.md), same figure; heldout_f's: 152/152 after its fixes (blind: 145/160, 14 refused, 1 wrong; then 7
# questions holding wordings the issue quotes moved to tuning and one tuning duplicate removed, all 8 had passed:
# 137/152 blind without them); heldout_g's: 158/158 after its fixes (blind: 133/160, 23 refused, 4 wrong; 131/158
# without the 2 "right now" questions moved out); heldout_h's: 153/160 after its fixes (blind: 144/160, 11 refused,
# 5 wrong); its one wrong answer left is the plan shape of "how many refunds ... >> how much money was that?", where
# heldout_b's expected plan and heldout_h's (and heldout_e's) disagree (docs/chat.md).
# heldout_i's: 153/153 after its fixes (blind: 157/160, 2 refused, 1 wrong; 150/153 without the 3 duplicates removed
# and the 4 "Sydney time" questions moved to tuning). The plan-shape disagreement above was then settled
# (docs/chat.md: the money of the refunds counted keeps their refunded filter; heldout_b's expected plan changed
# after its measurement): heldout_e 158/158 and heldout_h 154/160 (6 refused), no wrong answer.
# heldout_j's: 157/157 after its fixes (blind: 154/160, 4 refused, 2 wrong; 151/157 without the 3 duplicate refusals
# removed after the run, all passed).
# heldout_k's: 160/160 after its fixes (blind: 145/160, 9 refused, 6 wrong; measured after heldout_j's fixes).
# heldout_l's: 156/156 after its fixes (blind: 138/160, 16 refused, 6 wrong, measured after heldout_k's fixes; 134/156
# without the 4 issue-quoted wordings moved to tuning, all passed).
# heldout_m's: 157/157 after its fix (blind: 159/160, 1 refused, measured after heldout_l's fixes; 156/157 without the
# 2 questions earlier parts held and the 1 issue-quoted wording moved to tuning, all three passed).
# heldout_n's: 155/156, its blind figure (159/160 as written, 1 refused, measured after heldout_m's fixes; 4 refusals
# earlier parts held word for word removed after the run, all passed); its one refusal is not fixed (docs/chat.md).
# heldout_o's: 151/156 blind (155/160 as written, 3 refused, 2 wrong, measured after heldout_n; 4 questions earlier
# parts held word for word removed after the run, all passed); 156/156 after its fixes.
# heldout_p's: 157/158, its blind figure (159/160 as written, 1 refused, measured after heldout_o's fixes; 2 questions
# earlier parts held word for word removed after the run, both passed); its one refusal is not fixed (docs/chat.md).
# heldout_q's: 143/160 blind (14 refused, 3 wrong, measured after heldout_p); 143/159 without the one question holding
# a wording the issue quotes ("fell back"), refused, moved to tuning; 154/159 after its fixes, no wrong answer (and
# heldout_h 157/160 with them).
# heldout_r's: 152/158 blind (154/160 as written, 4 refused, 2 wrong, measured after heldout_q's fixes; 1 question
# the tuning part held word for word removed and 1 holding a wording the issue quotes moved to tuning after the run, both
# passed); 155/158 after its fixes, no wrong answer (157/158 until the session's review took the speaker-label rule
# out and narrowed the forwarded headers to a sender's words).
# heldout_s's: 153/156 blind (157/160 as written, 3 refused, no wrong answer, measured after heldout_r's fixes and
# the session's review; 3 questions earlier parts held word for word removed and 1 holding a wording the issue quotes
# ("had to switch to another gateway") moved to tuning after the run, all four passed).
# heldout_t's: 157/159 blind (158/160 as written, 1 refused, 1 wrong: "Can you refund the Amazon Pay order from
# yesterday?" answered as a count of refunds; measured after heldout_s's fixes; 1 question heldout_q held word for
# word removed after the run, it passed).
# heldout_u's: 149/151 blind (158/160 as written, 1 refused, 1 wrong: "the 2 fastest gateways by median latency"
# ranked slowest first; measured after heldout_t's fixes; 3 questions earlier parts held word for word removed and 6
# holding wordings the issue quotes moved to tuning after the run, all nine passed).
# heldout_v's: 148/155 blind (153/160 as written, 4 refused, 3 wrong, measured after heldout_u's fix; 1 question
# heldout_u held word for word removed and 4 saying "right now" (a wording the issue quotes) moved to tuning after the
# run, all five passed).
# heldout_w's: 150/154 blind (156/160 as written, 4 refused, no wrong answer, measured after heldout_v's fixes; 6
# holding wordings the issue quotes moved to tuning after the run, all six passed).
# heldout_x's: 155/159 blind (156/160 as written, 2 refused, 2 wrong: "under 50€" / "at least 2,500€" lost their
# currency; measured after heldout_w's fixes and the session's review; 1 question heldout_e held word for word removed
# after the run, it passed).
# After heldout_s's and heldout_t's fixes (the same session): heldout_p 158/158, heldout_q 158/159, heldout_r 157/158,
# heldout_s 156/156, heldout_t 159/159, no wrong answer; heldout_u 151/151 after its fix, heldout_v 155/155 after its, heldout_w 153/154 after its (one refusal
# left: "I am not very good with computers, but ...": "with computers" stands where a method would), heldout_x 159/159
# after its.
FLOORS = {"tuning": (720 / 722, 0), "heldout": (0.97, 0), "heldout_b": (0.97, 0), "heldout_c": (63 / 65, 0),
          "heldout_d": (146 / 146, 0), "heldout_e": (158 / 158, 0), "heldout_f": (152 / 152, 0),
          "heldout_g": (158 / 158, 0), "heldout_h": (157 / 160, 0), "heldout_i": (153 / 153, 0),
          "heldout_j": (157 / 157, 0),
          "heldout_k": (160 / 160, 0), "heldout_l": (156 / 156, 0), "heldout_m": (157 / 157, 0),
          "heldout_n": (155 / 156, 0), "heldout_o": (156 / 156, 0),
          "heldout_p": (158 / 158, 0), "heldout_q": (158 / 159, 0),
          "heldout_r": (157 / 158, 0), "heldout_s": (156 / 156, 0),
          "heldout_t": (159 / 159, 0), "heldout_u": (151 / 151, 0),
          "heldout_v": (155 / 155, 0), "heldout_w": (153 / 154, 0),
          "heldout_x": (159 / 159, 0),
          # heldout_y: 160/160 after its fixes (blind: 154/160, 5 refused, 1 wrong; docs/chat.md)
          "heldout_y": (160 / 160, 0),
          # heldout_z: 157/157 after its fixes (blind: 156/160 as written, 2 refused, 2 wrong; 153/157 without the 3
          # questions earlier parts held word for word, removed after the run, all passed; docs/chat.md)
          "heldout_z": (157 / 157, 0),
          # heldout_aa: 160/160 after its fixes (blind: 152/160, 5 refused, 3 wrong; docs/chat.md)
          "heldout_aa": (160 / 160, 0),
          # heldout_ab: its blind first measurement, no fix of its own (160/160 as written; 158/158 without the 2
          # questions earlier parts held word for word, removed after the run, both passed; docs/chat.md)
          "heldout_ab": (158 / 158, 0),
          # heldout_ac: 160/160 after its fix (blind: 158/160, 2 wrong, one of them a scorer asymmetry; docs/chat.md)
          "heldout_ac": (160 / 160, 0),
          # heldout_ad: its blind first measurement, no fix yet (session 19's last batch; docs/chat.md): 107/120 as
          # written, 105/118 without the duplicate and the issue-quoted "fell back" question (both passed)
          # 106 after the named-customer fix (test_session19_fixes.py), 112 after session 20's (test_heldout_af_fixes.py)
          "heldout_ad": (112 / 118, 0),
          # heldout_ae: its blind first measurement, no fix (150/150 as written; 132/132 without the 17 issue-quoted
          # wordings moved to tuning and the 1 duplicate of heldout_o removed, all passed; docs/chat.md)
          "heldout_ae": (132 / 132, 0),
          # heldout_af: 150/150 after its fixes (blind: 147/150, 2 refused, 1 wrong; docs/chat.md)
          "heldout_af": (150 / 150, 0),
          # heldout_ag: its blind first measurement, no fix (150/150, measured with heldout_af's first fixes in the
          # working tree; docs/chat.md)
          "heldout_ag": (150 / 150, 0),
          # heldout_ah: its blind first measurement, before any fix for it (149/150 as written, 1 refused; 146/147
          # without the 3 questions earlier parts held word for word, removed after the run, all passed)
          "heldout_ah": (147 / 147, 0),  # after its fix (test_heldout_af_fixes.py)
          # heldout_ai / heldout_aj: their blind first measurements, before any fix for them (docs/chat.md): 80/150 and
          # 105/150 as written; 77/146 (6 wrong) and 103/147 (15 wrong) without the issue-quoted wordings moved to tuning
          "heldout_ai": (96 / 146, 0), "heldout_aj": (139 / 147, 0),  # after the fixes of test_heldout_ai_aj_fixes.py
          # heldout_ak / heldout_al / heldout_am (session 21): their blind first measurements, before any fix for them
          # (blind: heldout_ak 107 / 147 with 10 wrong, heldout_al 84 / 148 with 8 wrong, heldout_am 117 / 146 with 22
          # wrong, heldout_an 61 / 149 with 9 wrong); after the fixes of test_heldout_ak_am_fixes.py and
          # test_heldout_al_fixes.py:
          # (heldout_al 146 / 148 after its own fixes, 143 / 148 once the review made "from Monday" and "of 11/28" refused)
          "heldout_ak": (139 / 147, 1), "heldout_al": (143 / 148, 1), "heldout_am": (140 / 146, 0),
          "heldout_an": (65 / 149, 5),
          # heldout_ao / heldout_ap blind: 127 / 144 with 5 wrong, 42 / 150 with 26 wrong; after test_heldout_ap_fixes.py:
          "heldout_ao": (128 / 144, 3), "heldout_ap": (68 / 150, 1),
          # heldout_aq / heldout_ar (no special emphasis, after every fix of session 21): blind 140 / 142 with 1 wrong and
          # 132 / 139 with 3 wrong;
          "heldout_aq": (141 / 142, 0), "heldout_ar": (133 / 139, 2)}  # after test_heldout_ap_fixes.py
# The misses issue #17 quotes: they belong in the tuning part only.
QUOTED = ("refnud", "what did we take through", "total value of", "average basket", "net of refunds",
          "had to switch to another gateway", "fell back", "sydney time", "new york time", "orders today",
          "payments by status this month", "right now", "break down by", "which 4 countries", "captured volume",
          "top 2 countries by usd volume")


@pytest.fixture(scope="module")
def service():
    docs = ev.documents(3000)
    index = DuckDBPaymentIndex(":memory:")
    index.upsert_many(docs)
    chat = Chat(DeterministicPlanner(), InMemorySessions(), lambda: ev.NOW)
    yield docs, lambda q, s: ask(chat, index, ev.MERCHANT, q, s)
    index.close()


def test_the_suite_has_four_hundred_questions_and_a_quarter_held_out():
    parts = {part: ps.load(part) for part in ps.PARTS}
    total = sum(len(cases) for cases in parts.values())
    held = sum(len(cases) for part, cases in parts.items() if part != "tuning")
    # A quarter held out over all held-out batches (the first batch alone stopped being the measure once the
    # later ones were written: each fix round adds its variants to the tuning part).
    assert total >= 400 and held / total >= 0.25
    questions = [c.turns for cases in parts.values() for c in cases]
    assert len(questions) == len(set(questions)), "a question is in two parts (or twice)"


def test_the_issue_quoted_misses_are_in_the_tuning_part_only():
    # the questions, not the header comments (a batch's header may name the readings it took, "net of refunds")
    text = {part: "\n".join(line for line in (ps.HERE / f"{part}.txt").read_text().lower().splitlines()
                            if not line.startswith("#")) for part in ps.PARTS}
    for phrase in QUOTED:
        assert phrase in text["tuning"], phrase
        assert all(phrase not in body for part, body in text.items() if part != "tuning"), phrase


@pytest.mark.parametrize("part", ps.PARTS)
def test_paraphrase_accuracy(service, part):
    docs, answer = service
    result = ps.run(part, docs, answer)
    floor, wrong = FLOORS[part]
    shown = "\n".join(f"{m['line']}: {' >> '.join(m['turns'])} => {m['expected']}: {m['problems']}"
                      for m in result["misses"])
    assert result["right"] / result["questions"] >= floor - 1e-9, shown
    assert result["answered_wrongly"] <= wrong, shown


def test_the_scorer_can_disagree(service):
    """A right answer scores right; the same answer with one figure or one plan field changed does not."""
    docs, answer = service
    case = next(c for c in ps.load("tuning") if c.spec == "count by=gateway w=last_month")
    right = answer(case.turns[0], "scorer-check")
    assert ps.score(case, right, docs) == []
    wrong_figure = {**right, "rows": [{**right["rows"][0], "value": right["rows"][0]["value"] + 1}, *right["rows"][1:]]}
    assert ps.score(case, wrong_figure, docs)
    wrong_plan = {**right, "plan": {**right["plan"], "group_by": ["country"]}}
    assert ps.score(case, wrong_plan, docs)
    wrong_window = {**right, "query": {**right["query"], "window": None}}
    assert ps.score(case, wrong_window, docs)


def test_the_oracle_groups_decline_reasons_by_code_not_by_text():
    docs = ev.documents(3000)
    expected = ps.parse_spec("count by=reason s=declined")
    codes = {label[0] for label, _ in ps.oracle(expected, docs, ps.WINDOWS)}
    assert "fraud_declined" in codes and not any(" " in code for code in codes)
    texts = {d.decline_reason for d in docs if d.decline_code == "fraud_declined"}
    assert len(texts) > 1  # one code, several texts: grouping by text would split it


def test_every_window_is_written_by_hand_in_utc():
    for name, bounds in ps.WINDOWS.items():
        if bounds:
            assert bounds[0] < bounds[1] <= ev.NOW and bounds[0].utcoffset().total_seconds() == 0, name
    assert re.fullmatch(r"\w+", Path(ps.__file__).stem)
