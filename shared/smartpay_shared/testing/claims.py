"""Verified token claims of a merchant user, as the admin path makes one: the `custom:merchant_id`
attribute and the operator-assigned group `merchant:<merchant_id>` that confirms it
(`smartpay_shared.api.merchant_id` needs both). For tests that hand-build claims or tokens."""

from __future__ import annotations

from typing import Any

from smartpay_shared.api import GROUPS_CLAIM, MERCHANT_CLAIM, merchant_group


def merchant_claims(merchant: str, *groups: str, token: bool = False) -> dict[str, Any]:
    """`{custom:merchant_id, cognito:groups}` of a user of `merchant` (also in `groups`, e.g. "admin").

    By default `cognito:groups` is flattened to a comma-joined string, the way API Gateway (and the
    local gateway) hands claims to a handler; `token=True` keeps the JWT's list, for claims that
    are signed into a token and verified by the gateway."""
    names = [merchant_group(merchant), *groups]
    return {MERCHANT_CLAIM: merchant, GROUPS_CLAIM: names if token else ",".join(names)}
