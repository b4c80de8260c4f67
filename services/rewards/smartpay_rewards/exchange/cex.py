"""Redemption through a centralised exchange with ccxt (written against Binance spot; any ccxt exchange with
fetch_order_book, create_order with a fill-or-kill limit and fetch_order by client order id fits).

Points have a fixed value in the exchange's quote currency (`point_value`, e.g. 0.01 USDT: the platform's
treasury funds it). quote(points, "SOL") walks the order book's asks to see how much SOL that value buys;
settle() re-reads the book, refuses when the amount fell below the quote's slippage limit, then places ONE
fill-or-kill limit buy (all or nothing on the exchange) whose client order id is derived from the quote id,
so a lost reply is resolved by looking the order up (resolve()); an order the exchange has not seen once
its recvWindow has passed can never be placed. The bought asset is credited to the platform's exchange
account; the withdrawal to the customer's wallet is a separate step (not built). The points' side (collected on
chain before the order, given back on a refusal) is exchange/cex_venue.py's."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable

import ccxt

from smartpay_rewards.chain.ports import ApiKey
from smartpay_rewards.exchange.ports import ExchangePort, Quote, QuoteRefused, Redeemer, Settlement

log = logging.getLogger(__name__)
ASSET_DECIMALS = {"SOL": 9, "BTC": 8, "ETH": 18, "USDC": 6, "USDT": 6}

# ccxt logs every request's headers at DEBUG, and a signed request's headers carry the API key (X-MBX-APIKEY):
# its loggers stay at INFO whatever the root level is (a function run with LOG_LEVEL=DEBUG included).
logging.getLogger("ccxt").setLevel(logging.INFO)


def connect(exchange_id: str, key: ApiKey, session: Any = None, timeout_seconds: float = 5.0) -> ccxt.Exchange:
    """A ccxt client for spot redemptions: spot markets only (margin and currency listings are other calls,
    which need other permissions), ccxt's own rate limiter, `timeout_seconds` per request (a redemption makes
    up to five, within the API function's timeout). `session`: a requests.Session of the caller's (tests)."""
    config = {"apiKey": key.key, "secret": key.secret, "timeout": int(timeout_seconds * 1000), "enableRateLimit": True,
              "options": {"fetchMarkets": {"types": ["spot"]}, "fetchMargins": False, "fetchCurrencies": False}}
    if session is not None:
        config["session"] = session
    return getattr(ccxt, exchange_id)(config)


# Binance error codes whose execution status is documented as unknown (ccxt maps them to ExchangeError, not
# to a NetworkError): -1001 internal error / disconnected, -1006 unexpected response from the message bus,
# -1007 timeout waiting for the backend.
UNKNOWN_OUTCOME_CODES = ('"code":-1001', '"code":-1006', '"code":-1007')


def _outcome_unknown(error: ccxt.BaseError) -> bool:
    if isinstance(error, (ccxt.DDoSProtection, ccxt.RateLimitExceeded)):
        return False
    text = str(error).replace(" ", "")
    return isinstance(error, ccxt.NetworkError) or any(code in text for code in UNKNOWN_OUTCOME_CODES)


def _pending_detail(asset: str, sent_at: float) -> str:
    return f"asset={asset} sent_at={sent_at!r}"


def _parse_pending_detail(detail: str) -> tuple[str, float]:
    fields = dict(part.split("=", 1) for part in detail.split() if "=" in part)
    return fields["asset"], float(fields["sent_at"])


def client_order_id(quote_id: str) -> str:
    """Binance allows 36 characters of [.A-Z:/a-z0-9_-]."""
    return "sp-" + hashlib.sha256(quote_id.encode()).hexdigest()[:32]


class CcxtExchange(ExchangePort):
    def __init__(self, exchange: ccxt.Exchange, point_value: Decimal, quote_currency: str = "USDT",
                 quote_ttl_seconds: float = 15.0, clock: Callable[[], float] = time.time, book_depth: int = 50,
                 recv_window_seconds: float = 10.0):
        self.exchange = exchange
        self.point_value = Decimal(point_value)
        self.quote_currency = quote_currency
        self.ttl = quote_ttl_seconds
        self.clock = clock
        self.depth = book_depth
        self.recv_window = recv_window_seconds

    @property
    def venue(self) -> str:
        return f"ccxt:{self.exchange.id}"

    def __repr__(self) -> str:
        return f"CcxtExchange({self.exchange.id}, quote_currency={self.quote_currency}, keys=***)"

    # --- pricing -----------------------------------------------------------------------------------
    def _market(self, asset: str) -> dict:
        if asset not in ASSET_DECIMALS:
            raise QuoteRefused("rejected", f"no redemption into {asset}")
        try:
            self.exchange.load_markets()
        except ccxt.BaseError as e:
            raise QuoteRefused("unavailable", f"{self.venue}: {type(e).__name__}") from None
        symbol = f"{asset}/{self.quote_currency}"
        market = self.exchange.markets.get(symbol)
        if market is None or not market.get("active", True):
            raise QuoteRefused("rejected", f"{self.venue} does not trade {symbol}")
        return market

    def _fill(self, market: dict, notional: Decimal) -> tuple[Decimal, Decimal, Decimal]:
        """(amount bought for `notional`, truncated to the lot step; its average price; the worst ask used)."""
        try:
            book = self.exchange.fetch_order_book(market["symbol"], limit=self.depth)
        except ccxt.BaseError as e:
            raise QuoteRefused("unavailable", f"{self.venue}: {type(e).__name__}") from None
        remaining, amount, worst = notional, Decimal(0), Decimal(0)
        for price, qty, *_ in book["asks"]:
            price, qty = Decimal(str(price)), Decimal(str(qty))
            take = min(qty, remaining / price)
            amount += take
            remaining -= take * price
            worst = price
            if remaining <= 0:
                break
        if remaining > 0:
            raise QuoteRefused("insufficient_liquidity", f"the book's {len(book['asks'])} asks do not cover {notional}")
        amount = Decimal(self.exchange.amount_to_precision(market["symbol"], str(amount)))
        if amount <= 0:
            raise QuoteRefused("below_minimum", "too few points for the smallest lot")
        limits = market.get("limits") or {}
        minimum_cost = (limits.get("cost") or {}).get("min")
        minimum_amount = (limits.get("amount") or {}).get("min")
        if (minimum_cost and notional < Decimal(str(minimum_cost))) or \
                (minimum_amount and amount < Decimal(str(minimum_amount))):
            raise QuoteRefused("below_minimum", f"below {self.venue}'s minimum order for {market['symbol']}")
        return amount, notional / amount, worst

    @staticmethod
    def _base_units(amount: Decimal, asset: str) -> int:
        return int((amount * 10 ** ASSET_DECIMALS[asset]).to_integral_value(ROUND_DOWN))

    # --- the port ----------------------------------------------------------------------------------
    def quote(self, points: int, target_asset: str, slippage_bps: int = 100) -> Quote:
        if not isinstance(points, int) or points <= 0:
            raise QuoteRefused("below_minimum", "points must be a positive integer")
        if not 0 <= slippage_bps <= 5_000:
            raise QuoteRefused("rejected", "slippage_bps must be within 0..5000")
        market = self._market(target_asset)
        notional = points * self.point_value
        amount, average, worst = self._fill(market, notional)
        out = self._base_units(amount, target_asset)
        return Quote(str(uuid.uuid4()), self.venue, points, target_asset, out, Decimal(out) / Decimal(points),
                     self.clock() + self.ttl, slippage_bps,
                     {"symbol": market["symbol"], "notional": str(notional), "amount": str(amount),
                      "average_price": str(average), "worst_ask": str(worst)})

    def settle(self, quote: Quote, redeemer: Redeemer) -> Settlement:
        if quote.venue != self.venue:
            return Settlement(quote.id, "refused", "rejected", detail="a quote from another venue")
        if self.clock() >= quote.expires_at:
            return Settlement(quote.id, "refused", "expired", detail="the quote has expired: ask for a new one")
        try:
            market = self._market(quote.target_asset)
            amount, _, worst = self._fill(market, Decimal(quote.detail["notional"]))
        except QuoteRefused as e:
            return Settlement(quote.id, "refused", "slippage" if e.reason == "insufficient_liquidity" else e.reason,
                              detail=e.detail)
        if self._base_units(amount, quote.target_asset) < quote.min_out:
            return Settlement(quote.id, "refused", "slippage",
                              detail=f"{amount} {quote.target_asset} now, below the quote's minimum")
        cid = client_order_id(quote.id)
        sent_at = self.clock()
        try:
            # recvWindow (ms): the exchange refuses the request once this long after its timestamp.
            order = self.exchange.create_order(
                market["symbol"], "limit", "buy", float(amount),
                float(self.exchange.price_to_precision(market["symbol"], str(worst))),
                {"timeInForce": "FOK", "newClientOrderId": cid,
                 "recvWindow": int(self.recv_window * 1000)})
        except (ccxt.DDoSProtection, ccxt.RateLimitExceeded) as e:  # refused before reaching the book
            return Settlement(quote.id, "refused", "unavailable", detail=type(e).__name__)
        except ccxt.BaseError as e:
            if not _outcome_unknown(e):
                return Settlement(quote.id, "refused", self._reason(e), detail=str(e)[:300])
            # A timeout, a dropped connection or an HTTP 5xx: Binance documents the execution status as
            # unknown. The client order id finds it.
            log.warning("order for quote %s: outcome unknown (%s), resolving", quote.id, type(e).__name__)
            return self.resolve(Settlement(quote.id, "pending", None, quote.points, 0, cid,
                                           detail=_pending_detail(quote.target_asset, sent_at)))
        return self._from_order(quote.id, quote.points, quote.target_asset, order)

    def resolve(self, settlement: Settlement) -> Settlement:
        if settlement.status != "pending" or settlement.reference is None:
            return settlement
        asset, sent_at = _parse_pending_detail(settlement.detail)
        try:
            order = self.exchange.fetch_order(None, f"{asset}/{self.quote_currency}",
                                              {"origClientOrderId": settlement.reference})
        except ccxt.OrderNotFound:
            if self.clock() > sent_at + self.recv_window:
                return Settlement(settlement.quote_id, "refused", "cancelled", reference=settlement.reference,
                                  detail="the exchange never received the order and its recvWindow has passed")
            return settlement
        except ccxt.BaseError:
            return settlement
        return self._from_order(settlement.quote_id, settlement.points_in, asset, order, sent_at)

    # --- mapping -----------------------------------------------------------------------------------
    def _from_order(self, quote_id: str, points: int, asset: str, order: dict, sent_at: float = 0.0) -> Settlement:
        status = order.get("status")
        filled = Decimal(str(order.get("filled") or 0))
        reference = str(order.get("clientOrderId") or order.get("id"))
        if status == "closed" and filled > 0:
            return Settlement(quote_id, "settled", None, points, self._base_units(filled, asset), reference,
                              detail=f"order {order.get('id')} cost {order.get('cost')} {self.quote_currency}")
        if status in ("expired", "canceled", "rejected") and filled == 0:
            return Settlement(quote_id, "refused", "slippage" if status == "expired" else "rejected",
                              reference=reference, detail=f"order {order.get('id')} {status}: nothing filled")
        if status == "open":
            return Settlement(quote_id, "pending", None, points, 0, reference,
                              detail=_pending_detail(asset, sent_at or self.clock()))
        # A fill-or-kill order is never partly filled; anything else is for a person to look at.
        raise RuntimeError(f"{self.venue} order {order.get('id')} in an unexpected state {status} filled={filled}")

    @staticmethod
    def _reason(error: ccxt.BaseError) -> str:
        text = str(error)
        if isinstance(error, ccxt.InsufficientFunds):
            return "insufficient_liquidity"  # the platform's exchange account cannot pay for it
        if "NOTIONAL" in text or "LOT_SIZE" in text or "MIN_NOTIONAL" in text:
            return "below_minimum"
        if isinstance(error, (ccxt.AuthenticationError, ccxt.PermissionDenied, ccxt.ExchangeNotAvailable,
                              ccxt.RateLimitExceeded, ccxt.DDoSProtection, ccxt.OnMaintenance)):
            return "unavailable"
        return "rejected"
