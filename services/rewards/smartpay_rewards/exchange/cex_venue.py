"""The `ccxt` venue as the ledger sees it: the points are collected on chain first, then the exchange order is
placed; a refusal gives the points back. So the chain always holds what the ledger says (docs/rewards-chain.md,
"Centralised exchange through ccxt: the accounting"):

    expired or wallet not ready -> refused, nothing moved anywhere
    collect (wallet -> treasury): failed -> refused | reply lost -> pending, stage `collect`
    order (fill-or-kill, ccxt):   filled -> settled | lost -> pending, stage `order` | refused -> give back
    give back (treasury -> wallet): landed -> refused | failed or lost -> pending, stage `return`

A pending settlement says its stage in `detail` (`stage=... collect=<signature> wallet=... ...`, plus the ccxt
adapter's own fields); resolve() carries it on from there and never places an order (the quote is stale by
then): a collection found landed late is given back. Every step is idempotent: the order's client id derives
from the quote id, and a transfer is sent again only once its predecessor can never land."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from solders.pubkey import Pubkey

from smartpay_rewards.exchange.cex import CcxtExchange, client_order_id
from smartpay_rewards.exchange.collect import Move, Treasury
from smartpay_rewards.exchange.ports import ExchangePort, Quote, Redeemer, Settlement

log = logging.getLogger(__name__)


def _fields(detail: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in detail.split() if "=" in part)


class CexVenue(ExchangePort):
    def __init__(self, exchange: CcxtExchange, treasury: Treasury, clock: Callable[[], float] = time.time):
        self.exchange = exchange
        self.treasury = treasury
        self.clock = clock

    @property
    def venue(self) -> str:
        return self.exchange.venue

    def __repr__(self) -> str:
        return f"CexVenue({self.exchange!r}, {self.treasury!r})"

    def quote(self, points: int, target_asset: str, slippage_bps: int = 100) -> Quote:
        return self.exchange.quote(points, target_asset, slippage_bps)

    def settle(self, quote: Quote, redeemer: Redeemer) -> Settlement:
        if quote.venue != self.venue:
            return Settlement(quote.id, "refused", "rejected", detail="a quote from another venue")
        if self.clock() >= quote.expires_at:
            return Settlement(quote.id, "refused", "expired", detail="the quote has expired: ask for a new one")
        wallet = Pubkey.from_string(redeemer.wallet)
        refused = self.treasury.refusal(wallet, quote.points)
        if refused:
            return Settlement(quote.id, "refused", refused[0], detail=refused[1])
        collected = self.treasury.collect(quote.id, wallet, quote.points)
        if collected.outcome == "failed":
            return Settlement(quote.id, "refused", "chain_error", reference=collected.signature or None,
                              fee_lamports=collected.fee_lamports, detail=collected.error)
        if collected.outcome == "unknown":
            return self._pending(quote.id, quote.points, collected.signature, collected.fee_lamports,
                                 f"stage=collect collect={collected.signature} blockhash={collected.blockhash} "
                                 f"wallet={wallet}")
        stage = f"stage=order collect={collected.signature} wallet={wallet}"
        try:
            answer = self.exchange.settle(quote, Redeemer(redeemer.wallet))
        except Exception as e:  # noqa: BLE001 - the points are collected: the order may exist; ask, never reverse
            log.warning("order for %s raised %s after the points were collected: pending", quote.id, type(e).__name__)
            return self._pending(quote.id, quote.points, client_order_id(quote.id), collected.fee_lamports,
                                 f"{stage} asset={quote.target_asset} sent_at={self.clock()!r}")
        return self._after_order(quote.id, quote.points, answer, stage, collected.fee_lamports)

    def resolve(self, settlement: Settlement) -> Settlement:
        f = _fields(settlement.detail)
        if settlement.status != "pending" or "stage" not in f:
            return settlement
        points, fees = settlement.points_in, settlement.fee_lamports
        wallet = Pubkey.from_string(f["wallet"])
        if f["stage"] == "collect":
            found = self.treasury.outcome(f["collect"], f["blockhash"])
            if found == "unknown":
                return settlement
            fees += self.treasury.fee if found in ("landed", "failed") else 0
            if found == "landed":  # landed after all: the quote is stale, give the points back
                return self._give_back(settlement.quote_id, wallet, points, "cancelled", fees, f["collect"])
            return Settlement(settlement.quote_id, "refused", "cancelled", reference=f["collect"], fee_lamports=fees,
                              detail="the points were never collected (the transfer can no longer land)")
        if f["stage"] == "order":
            try:
                answer = self.exchange.resolve(settlement)
            except Exception as e:  # noqa: BLE001 - an order in a state nobody expected: stays open for a person
                log.error("resolving %s: %s: left pending", settlement.quote_id, e)
                return settlement
            stage = " ".join(f"{k}={f[k]}" for k in ("stage", "collect", "wallet"))
            return self._after_order(settlement.quote_id, points, answer, stage, fees)
        # stage "return": `return=none` means no give-back is in flight (none sent, or it failed: nothing moved)
        found = "never" if f["return"] == "none" else self.treasury.outcome(f["return"], f["blockhash"])
        if found == "landed":
            return Settlement(settlement.quote_id, "refused", f["reason"], reference=f["return"],
                              fee_lamports=fees + self.treasury.fee,
                              detail=f"the points went back to the wallet in {f['return']}")
        if found == "unknown":
            return settlement
        fees += self.treasury.fee if found == "failed" else 0
        return self._give_back(settlement.quote_id, wallet, points, f["reason"], fees, f["collect"])

    # --- helpers -----------------------------------------------------------------------------------
    def _after_order(self, quote_id: str, points: int, answer: Settlement, stage: str, fees: int) -> Settlement:
        collect = _fields(stage)["collect"]
        if answer.status == "settled":
            return Settlement(quote_id, "settled", None, points, answer.amount_out, answer.reference, fees,
                              detail=f"points collected in {collect}; {answer.detail}"[:300])
        if answer.status == "pending":
            order = " ".join(f"{k}={v}" for k, v in _fields(answer.detail).items() if k in ("asset", "sent_at"))
            return self._pending(quote_id, points, answer.reference, fees, f"{stage} {order}")
        wallet = Pubkey.from_string(_fields(stage)["wallet"])
        return self._give_back(quote_id, wallet, points, answer.reason or "rejected", fees, collect,
                               answer.detail)

    def _give_back(self, quote_id: str, wallet: Pubkey, points: int, reason: str, fees: int, collect: str,
                   why: str = "") -> Settlement:
        back: Move = self.treasury.give_back(quote_id, wallet, points)
        fees += back.fee_lamports
        if back.outcome == "landed":
            returned = f"the points went back to the wallet in {back.signature}"
            return Settlement(quote_id, "refused", reason, reference=back.signature, fee_lamports=fees,
                              detail=(f"{why[:150]}; {returned}" if why else returned))
        log.warning("giving back the points of %s: %s (%s): pending", quote_id, back.outcome, back.error)
        in_flight = back.outcome == "unknown"
        return self._pending(quote_id, points, back.signature if in_flight else collect, fees,
                             f"stage=return collect={collect} return={back.signature if in_flight else 'none'} "
                             f"blockhash={back.blockhash if in_flight else 'none'} wallet={wallet} reason={reason}")

    @staticmethod
    def _pending(quote_id: str, points: int, reference: str | None, fees: int, detail: str) -> Settlement:
        return Settlement(quote_id, "pending", None, points, 0, reference, fees, detail)
