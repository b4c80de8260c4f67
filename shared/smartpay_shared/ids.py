"""Identifiers the platform mints: random, and never holding what a card-number check takes for a card.

About 1 random 32-hex id in 1,000 holds a Luhn-valid run of 13+ digits (measured: 23 in 20,000 `pay_<hex>`,
13 in 20,000 UUID strings). Every guard downstream (fraud's in-word check, chat's index guard, the secret scan)
would then refuse the id, and with it the payment: a payment minted as `pay_...45944029964859...` was never
indexed. So an id is redrawn until no check can mistake it for a card number."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from smartpay_shared import pan


def new_id(prefix: str = "", draw: Callable[[], str] = lambda: uuid.uuid4().hex) -> str:
    """`prefix` + a random 32-hex string (or `draw()`), redrawn while it holds a card-number-like run."""
    while pan.contains_pan(candidate := prefix + draw(), in_words=True):
        pass
    return candidate


def new_uuid() -> str:
    """A random UUID string (8-4-4-4-12), redrawn like `new_id`."""
    return new_id(draw=lambda: str(uuid.uuid4()))
