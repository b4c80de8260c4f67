"""The batch decision alone (pure): outcomes in the batch's order, one row and one vector per payment."""

from smartpay_chat.domain import batch_writes
from smartpay_chat.domain.document import build_document


def _doc(snapshot, merchant, payment_id, version, **changes):
    return build_document(merchant, payment_id, snapshot(version=version, **changes))


def test_outcomes_follow_the_batch_order_and_the_stored_versions(snapshot):
    v5 = _doc(snapshot, "m_acme", "pay_A", 5)
    v6, v6_again = _doc(snapshot, "m_acme", "pay_A", 6, country="FR"), _doc(snapshot, "m_acme", "pay_A", 6)
    other = _doc(snapshot, "m_beta", "pay_A", 2)  # the same payment id, another merchant
    plan = batch_writes.plan([v5, v6, v5, v6_again, other], {("m_acme", "pay_A"): 5})
    assert [(d.outcome, d.stored_version) for d in plan.decisions] == [
        ("duplicate", 5), ("updated", 6), ("stale", 6), ("duplicate", 6), ("created", 2)]
    assert plan.rows == [v6, other]  # the first of equal versions is the row, as a write alone keeps it
    assert plan.vectors == [v6_again, other]  # the last written or duplicate document of each payment


def test_a_key_whose_every_write_is_stale_writes_nothing(snapshot):
    plan = batch_writes.plan([_doc(snapshot, "m_acme", "pay_B", 3)], {("m_acme", "pay_B"): 4})
    assert [(d.outcome, d.stored_version) for d in plan.decisions] == [("stale", 4)]
    assert plan.rows == [] and plan.vectors == []


def test_created_then_updated_within_one_batch(snapshot):
    v1, v2 = _doc(snapshot, "m_acme", "pay_C", 1), _doc(snapshot, "m_acme", "pay_C", 2)
    plan = batch_writes.plan([v1, v2], {})
    assert [d.outcome for d in plan.decisions] == ["created", "updated"] and plan.rows == [v2]
