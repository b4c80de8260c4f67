"""Issue #13 item 2 (cross-merchant fraud poisoning), online on a real Redis: merchant B sends payments
carrying merchant A's customer, device, IP and card ids. A's features, score and reasons must be exactly
what they are without B's traffic, and B's must be exactly what they are without A's: every velocity entity
is scoped to the merchant that sent it (docs/fraud.md, Tenant scoping).

Each scenario is replayed into fresh, empty stores (one key prefix each) with fixed timestamps, so the runs
with and without the other merchant's traffic differ only by that traffic. A control run sends the very same
traffic as merchant A itself: it must move A's values, which proves the traffic would poison A if it were
counted (the isolation assertions are not vacuous)."""

import numpy as np
import pytest

from smartpay_fraud.domain.features import FULL
from smartpay_fraud.domain.transactions import Transaction
from smartpay_fraud.service_layer.scoring import ScoringService

pytestmark = pytest.mark.integration

A, B = "m_alpha", "m_bravo"
T = 1_767_225_600_000 + 38 * 3_600_000 + 17 * 60_000  # 2026-01-02 14:17 UTC
A_IDS = dict(customer_id="cus_alpha_1", device_id="dev_alpha_1", ip_address="203.0.113.7", country="DE")
A_CARD = "pm_alpha_card"


def a_history() -> list[Transaction]:
    """A's customer paying normally over the last days on their own card, device and IP."""
    return [Transaction(f"{A}:pay_hist{i}", T - (3 - i) * 20 * 3_600_000, 4_200 + 300 * i, "EUR", A, A_CARD,
                        **A_IDS) for i in range(3)]


def a_probe() -> Transaction:
    return Transaction(f"{A}:pay_probe", T, 5_100, "EUR", A, A_CARD, **A_IDS)


def b_traffic(merchant: str = B) -> list[Transaction]:
    """25 calls within the last half hour with A's customer, device and IP: every other one with A's card
    token, the rest with 12 different cards (as a card-testing burst on A's device would look)."""
    return [Transaction(f"{merchant}:pay_poison{i:02d}", T - 30 * 60_000 + i * 60_000, 100 + 7 * i, "EUR", merchant,
                        A_CARD if i % 2 == 0 else f"pm_bravo_card{i}", **A_IDS) for i in range(25)]


def rows(store, txns):
    """Velocity values payment by payment (one call each, as requests arrive)."""
    return np.vstack([store.record_and_read_batch([t], FULL) for t in txns])


def by_time(*streams):
    return sorted((t for s in streams for t in s), key=lambda t: t.timestamp_ms)


def test_b_traffic_with_a_ids_changes_none_of_a_velocity_values_and_b_sees_none_of_a(new_store):
    names = [f.name for f in FULL.velocity]
    clean, poisoned, b_only, control = new_store(), new_store(), new_store(), new_store()

    rows(clean, a_history())
    a_clean = rows(clean, [a_probe()])[0]

    mixed = by_time(a_history(), b_traffic())
    mixed_rows = rows(poisoned, mixed)
    a_poisoned = rows(poisoned, [a_probe()])[0]
    assert np.array_equal(a_poisoned, a_clean, equal_nan=True), {
        n: (a_clean[j], a_poisoned[j]) for j, n in enumerate(names) if not np.array_equal(a_clean[j], a_poisoned[j],
                                                                                          equal_nan=True)}

    # B's values: exactly what B gets when A never paid (no count of A's traffic reaches B's reasons).
    b_alone = rows(b_only, b_traffic())
    b_mixed = mixed_rows[[i for i, t in enumerate(mixed) if t.merchant_id == B]]
    assert np.array_equal(b_mixed, b_alone, equal_nan=True)
    last = dict(zip(names, b_mixed[-1]))
    b_cards = {t.card_id for t in b_traffic()}
    assert last["device_distinct_cards_7d"] == len(b_cards) == 13  # B's own 13 cards, none of A's history
    assert last["customer_count_24h"] == 25 and last["card_count_1h"] == 13  # A's card token: B's 13 uses only

    # Control: the same 25 payments sent by A itself do move A's values (so the traffic is potent).
    rows(control, by_time(a_history(), b_traffic(merchant=A)))
    a_control = dict(zip(names, rows(control, [a_probe()])[0]))
    assert a_control["device_distinct_cards_7d"] == 13 and dict(zip(names, a_clean))["device_distinct_cards_7d"] == 1
    assert a_control["card_count_1h"] > dict(zip(names, a_clean))["card_count_1h"]


def test_a_score_and_reasons_are_exactly_unchanged_by_b_traffic(new_store, trained, capsys):
    model = trained.bundle

    def service():
        return ScoringService(new_store(), model, reasons=3)

    clean = service()
    for t in a_history():
        clean.score(t)
    a_clean = clean.score(a_probe())

    poisoned = service()
    b_answers = []
    for t in by_time(a_history(), b_traffic()):
        answer = poisoned.score(t)
        if t.merchant_id == B:
            b_answers.append(answer)
    a_poisoned = poisoned.score(a_probe())
    assert a_poisoned.to_dict() == a_clean.to_dict()  # score, decision and reasons (with their counts)

    b_only = service()
    b_alone = [b_only.score(t) for t in b_traffic()]
    assert [a.to_dict() for a in b_answers] == [a.to_dict() for a in b_alone]

    control = service()
    for t in by_time(a_history(), b_traffic(merchant=A)):
        control.score(t)
    a_control = control.score(a_probe())
    assert a_control.score != a_clean.score  # the same traffic from A itself is counted for A
    with capsys.disabled():
        print(f"\n[tenant] A's probe: score {a_clean.score} without B's traffic, {a_poisoned.score} with it "
              f"(same traffic sent as A: {a_control.score}); B's last answer {b_answers[-1].score} "
              f"reasons {[r.description for r in b_answers[-1].reasons]}")
