"""The ccxt adapter against recorded (hand-written, from Binance's docs) responses: quotes from the order book,
quote expiry, slippage refusal, fill-or-kill settlement and the mapping of Binance's rejections."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smartpay_rewards.exchange.cex import client_order_id
from smartpay_rewards.exchange.ports import QuoteRefused, Redeemer

from .recorded_http import DEPTH, INFO, ORDER, TIMEOUT, recorded_exchange

WALLET = Redeemer("8ZNy7Jp2tcyvRXDRgjs5VZLyVqFwVTdmcxRExB7EyBZX")


class Clock:
    def __init__(self):
        self.now = 1_796_532_000.0

    def __call__(self):
        return self.now


def adapter(script, clock=None):
    return recorded_exchange(script, clock or Clock())


def test_quote_walks_the_asks_for_the_points_value():
    ex, transport = adapter([INFO, DEPTH])
    quote = ex.quote(10_000, "SOL", slippage_bps=100)  # 100 USDT
    # 0.15 @142.00 (21.3) + 0.30 @142.01 (42.603) + 0.25415.. @142.03 (the other 36.097): 0.70415 -> lot 0.001
    assert quote.detail["amount"] == "0.704" and quote.amount_out == 704_000_000
    assert quote.price == Decimal(704_000_000) / 10_000 and quote.expires_at == 1_796_532_000.0 + 15
    assert Decimal(quote.detail["worst_ask"]) == Decimal("142.03")
    method, path, params = transport.requests[1]
    assert (method, path, params["symbol"]) == ("GET", "/api/v3/depth", "SOLUSDT")


def test_settle_places_one_fill_or_kill_order_keyed_by_the_quote():
    ex, transport = adapter([INFO, DEPTH, DEPTH, ("POST", ORDER, "order_filled")])
    quote = ex.quote(10_000, "SOL")
    settlement = ex.settle(quote, WALLET)
    assert settlement.status == "settled" and settlement.points_in == 10_000
    assert settlement.amount_out == 704_000_000 and settlement.reference == client_order_id(quote.id)
    _, _, order = transport.requests[-1]
    assert (order["side"], order["type"], order["timeInForce"]) == ("BUY", "LIMIT", "FOK")
    assert (order["quantity"], Decimal(order["price"])) == ("0.704", Decimal("142.03"))
    assert order["newClientOrderId"] == client_order_id(quote.id) and "signature" in order


def test_expired_quote_is_refused_without_calling_the_exchange():
    clock = Clock()
    ex, transport = adapter([INFO, DEPTH], clock)
    quote = ex.quote(10_000, "SOL")
    clock.now = quote.expires_at
    settlement = ex.settle(quote, WALLET)
    assert (settlement.status, settlement.reason, settlement.points_in) == ("refused", "expired", 0)
    assert len(transport.requests) == 2  # no second book, no order


def test_price_moved_beyond_the_slippage_limit_is_refused_before_ordering():
    ex, transport = adapter([INFO, DEPTH, ("GET", "/api/v3/depth", "depth_moved_up")])
    quote = ex.quote(10_000, "SOL", slippage_bps=100)  # SOL up ~3 %: fewer SOL for the points
    settlement = ex.settle(quote, WALLET)
    assert (settlement.status, settlement.reason) == ("refused", "slippage")
    assert [r[1] for r in transport.requests].count(ORDER) == 0


def test_small_move_within_the_limit_settles_for_the_current_amount():
    ex, _ = adapter([INFO, DEPTH, ("GET", "/api/v3/depth", "depth_moved_slightly"), ("POST", ORDER, "order_filled")])
    quote = ex.quote(10_000, "SOL", slippage_bps=100)
    settlement = ex.settle(quote, WALLET)
    assert settlement.status == "settled" and quote.min_out <= settlement.amount_out < quote.amount_out


def test_fill_or_kill_not_filled_is_a_refusal():
    ex, _ = adapter([INFO, DEPTH, DEPTH, ("POST", ORDER, "order_expired")])
    settlement = ex.settle(ex.quote(10_000, "SOL"), WALLET)
    assert (settlement.status, settlement.reason, settlement.points_in, settlement.amount_out) == \
        ("refused", "slippage", 0, 0)


@pytest.mark.parametrize("fixture, reason", [
    ("error_insufficient_balance", "insufficient_liquidity"),  # -2010: the platform's account is short
    ("error_notional", "below_minimum"),                        # -1013 Filter failure: NOTIONAL
    ("error_rate_limit", "unavailable"),                        # HTTP 429 -1003
])
def test_order_rejections_are_mapped(fixture, reason):
    ex, _ = adapter([INFO, DEPTH, DEPTH, ("POST", ORDER, fixture)])
    settlement = ex.settle(ex.quote(10_000, "SOL"), WALLET)
    assert (settlement.status, settlement.reason, settlement.points_in) == ("refused", reason, 0)


def test_lost_reply_is_resolved_by_the_client_order_id():
    ex, transport = adapter([INFO, DEPTH, DEPTH, ("POST", ORDER, TIMEOUT), ("GET", ORDER, "query_order_filled")])
    quote = ex.quote(10_000, "SOL")
    settlement = ex.settle(quote, WALLET)
    assert settlement.status == "settled" and settlement.amount_out == 704_000_000
    assert transport.requests[-1][2]["origClientOrderId"] == client_order_id(quote.id)


def test_http_5xx_on_the_order_is_unknown_then_cancelled_once_the_recv_window_passed():
    clock = Clock()
    ex, _ = adapter([INFO, DEPTH, DEPTH, ("POST", ORDER, "error_internal"), ("GET", ORDER, "error_order_not_found"),
                     ("GET", ORDER, "error_order_not_found")], clock)
    settlement = ex.settle(ex.quote(10_000, "SOL"), WALLET)
    assert settlement.status == "pending" and settlement.points_in == 10_000  # the ledger keeps them reserved
    clock.now += 11  # past the 10 s recvWindow: the exchange would refuse the request if it arrived now
    resolved = ex.resolve(settlement)
    assert (resolved.status, resolved.reason, resolved.points_in) == ("refused", "cancelled", 0)


def test_quote_refusals():
    ex, _ = adapter([INFO, ("GET", "/api/v3/depth", "depth_thin")])
    with pytest.raises(QuoteRefused) as caught:
        ex.quote(10_000, "SOL")
    assert caught.value.reason == "insufficient_liquidity"
    with pytest.raises(QuoteRefused) as caught:
        ex.quote(10_000, "DOGE")
    assert caught.value.reason == "rejected"
    ex, _ = adapter([INFO, DEPTH])
    with pytest.raises(QuoteRefused) as caught:
        ex.quote(100, "SOL")  # 1 USDT: below the 5 USDT NOTIONAL filter
    assert caught.value.reason == "below_minimum"
    with pytest.raises(QuoteRefused):
        ex.quote(0, "SOL")


def test_keys_not_in_repr():
    ex, _ = adapter([])
    assert ex.exchange.secret not in repr(ex) and ex.exchange.apiKey not in repr(ex)
