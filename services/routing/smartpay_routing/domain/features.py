"""Context and action features in Vowpal Wabbit text format (`--cb_explore_adf`, namespaces U and G)."""

from __future__ import annotations

import math
import re

from smartpay_routing.domain.catalog import Gateway
from smartpay_routing.domain.model import RouteContext

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _token(value: str | None) -> str:
    return _UNSAFE.sub("_", value) if value else "none"


def shared_line(ctx: RouteContext, region: str) -> str:
    """Shared context: amount (log), fraud risk, merchant category, region, currency, method, hour."""
    lamt = math.log10(max(ctx.amount, 1))
    hour = ctx.hour % 24
    return (f"shared |U lamt:{lamt:.3f} risk:{ctx.risk_score:.3f} cat_{_token(ctx.merchant_category)} "
            f"reg_{_token(region)} cur_{ctx.currency} met_{ctx.method} hb_{hour // 4} "
            f"hsin:{math.sin(hour * math.pi / 12):.3f} hcos:{math.cos(hour * math.pi / 12):.3f} "
            f"rm_{_token(region)}_{ctx.method}")


def action_line(gateway: Gateway, ctx: RouteContext, error_rate: float) -> str:
    """Action: gateway identity, the fee it would charge (fraction x 10) and its recent error rate."""
    fee = gateway.fee_fraction(ctx.amount, ctx.currency)
    return f"|G gw_{gateway.name} fee:{fee * 10:.4f} err:{error_rate:.3f}"


def labelled(shared: str, actions: list[str], chosen: int, cost: float, probability: float) -> list[str]:
    """The ADF example with the logged action's label `index:cost:probability` on its line."""
    lines = [shared]
    for i, line in enumerate(actions):
        lines.append(f"0:{cost:.6f}:{probability:.6f} {line}" if i == chosen else line)
    return lines
