"""The reward, defined once: what a routed payment was worth, in units of the sale's margin.

    reward = approved * (1 - fee / (MARGIN * amount)) - LATENCY_COST_PER_S * latency_s

An approval earns the merchant its margin on the sale (MARGIN of the amount); the gateway fee comes out
of that margin, so 1% of the amount paid in fees costs as much as 5 pp of approval rate at a 20% margin.
Latency costs a little conversion on every attempt, approved or not. A decline earns nothing.
"""

from __future__ import annotations

MARGIN = 0.20
LATENCY_COST_PER_S = 0.02
MAX_LATENCY_S = 10.0


def reward(approved: bool, fee_fraction: float, latency_ms: float | None) -> float:
    latency_s = min((latency_ms or 0.0) / 1000.0, MAX_LATENCY_S)
    earned = (1.0 - fee_fraction / MARGIN) if approved else 0.0
    return earned - LATENCY_COST_PER_S * latency_s


def cost(reward_value: float) -> float:
    """VW minimises cost; cost is the negated reward."""
    return -reward_value
