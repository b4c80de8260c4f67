"""Platform-minted ids never hold what a card-number check takes for a card (a payment id that did was never
indexed by chat: its guard refused the whole document)."""

import itertools

from smartpay_shared import ids, pan


def test_a_draw_holding_a_luhn_valid_run_is_redrawn():
    seen = "02df45f5c5944029964859d81aa3eebe"  # a payment id chat refused: 5944029964859 is Luhn-valid
    draws = iter([seen, "ab" * 16])
    assert pan.contains_pan("pay_" + seen, in_words=True)
    assert ids.new_id("pay_", lambda: next(draws)) == "pay_" + "ab" * 16


def test_minted_ids_and_uuids_pass_the_in_word_check():
    minted = itertools.chain((ids.new_id("pay_") for _ in range(5_000)), (ids.new_uuid() for _ in range(5_000)))
    assert not any(pan.contains_pan(i, in_words=True) for i in minted)
