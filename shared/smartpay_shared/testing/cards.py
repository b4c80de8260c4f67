"""Card numbers for tests, made at run time (no number is spelled out in the code the secret scan
reads): a hypothesis strategy of Luhn-valid 13-19 digit numbers starting 2-6, and the usual printed
layouts. Imports hypothesis: for tests only."""

from __future__ import annotations

from hypothesis import strategies as st

from smartpay_shared import pan

card_numbers = st.builds(lambda first, rest: pan.luhn_complete(first + rest), st.sampled_from("23456"),
                         st.integers(11, 17).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))


def grouped(digits: str, sep: str) -> str:
    """A card layout: 4-6-5 for 15 digits, else groups of four, a short last group joined to the one before."""
    if len(digits) == 15:
        return sep.join([digits[:4], digits[4:10], digits[10:]])
    groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
    if len(groups[-1]) < 3:
        groups[-2:] = [groups[-2] + groups[-1]]
    return sep.join(groups)
