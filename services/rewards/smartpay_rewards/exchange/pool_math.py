"""Constant product (x * y = k) with a fee on the input, in integers: the output is rounded down, so k never
decreases and the pool can never pay out its whole reserve."""

from __future__ import annotations

BPS = 10_000


def amount_out(reserve_in: int, reserve_out: int, amount_in: int, fee_bps: int) -> int:
    if amount_in <= 0 or reserve_in <= 0 or reserve_out <= 0:
        return 0
    effective_in = amount_in * (BPS - fee_bps)
    return reserve_out * effective_in // (reserve_in * BPS + effective_in)


def within_slippage(current_out: int, quoted_out: int, slippage_bps: int) -> bool:
    return current_out * BPS >= quoted_out * (BPS - slippage_bps)
