"""Redemption: points to an asset through the exchange port, the ledger first.

quote (refused -> nothing written) -> a REDEEM entry and a `reserved` redemption in one transaction ->
settle (the points move from the customer's wallet to the venue) -> by the settlement's status:
- settled: the redemption is `settled` (the REDEEM entry stands);
- refused: a REDEEM_REVERSAL gives the points back and the redemption is `refused`, in one transaction;
- pending: the venue's answer was lost: the redemption is `pending` with the transaction's reference and the
  REDEEM entry stands; `resolve_open` (`smartpay rewards resolve`) asks the venue and settles or reverses.
So after every redemption, failed ones included, the ledger and the chain agree: a refused settlement moved
nothing on chain and the ledger gave the points back; a pending one is held on both sides until resolved."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from smartpay_rewards.domain import ledger
from smartpay_rewards.domain.errors import AccountNotFound, InsufficientPoints, WalletNotLinked
from smartpay_rewards.domain.model import Redemption
from smartpay_rewards.exchange.ports import ExchangePort, Redeemer, Settlement
from smartpay_rewards.service_layer.ports import AbstractUnitOfWork, ConcurrentChange

log = logging.getLogger(__name__)
UowFactory = Callable[[], AbstractUnitOfWork]
ATTEMPTS = 8


@dataclass(frozen=True)
class RedeemRequest:
    points: int
    asset: str
    slippage_bps: int = 100


def _now() -> datetime:
    return datetime.now(UTC)


def redeem(merchant_id: str, customer_id: str, request: RedeemRequest, uow_factory: UowFactory,
           exchange: ExchangePort, clock: Callable[[], datetime] = _now) -> Redemption:
    """AccountNotFound (404), WalletNotLinked / InsufficientPoints / QuoteRefused (4xx, nothing written)."""
    with uow_factory() as uow:
        account = uow.account(merchant_id, customer_id)
        if not account.exists:
            raise AccountNotFound(customer_id)
        wallet = uow.wallet(merchant_id, customer_id)
    if wallet is None:
        raise WalletNotLinked(customer_id)
    if request.points > account.balance:
        raise InsufficientPoints(request.points, account.balance)
    quote = exchange.quote(request.points, request.asset, request.slippage_bps)
    reserved = Redemption(merchant_id, customer_id, quote.id, wallet, quote.points, quote.target_asset, quote.venue,
                          quote.amount_out, quote.min_out, "reserved", clock())
    for _ in range(ATTEMPTS):
        with uow_factory() as uow:
            change = ledger.redeem(uow.account(merchant_id, customer_id), quote.points, quote.id, clock(),
                                   detail=f"{quote.points} points for {quote.amount_out} {quote.target_asset} "
                                          f"base units at {quote.venue} (min {quote.min_out})")
            uow.stage(change)
            uow.stage_redemption(reserved, None)
            try:
                uow.commit()
            except ConcurrentChange:
                continue
            break
    else:
        raise ConcurrentChange(f"redemption of {customer_id}: the account kept changing")
    try:
        settlement = exchange.settle(quote, Redeemer(wallet))
    except Exception as e:  # the venue raised before it sent anything (the ports' settle answers refusals)
        log.warning("settlement of %s raised %s: reversing", quote.id, type(e).__name__)
        settlement = Settlement(quote.id, "refused", "unavailable", detail=f"the venue failed: {type(e).__name__}")
    return apply_settlement(reserved, settlement, uow_factory, clock)


def apply_settlement(redemption: Redemption, settlement: Settlement, uow_factory: UowFactory,
                     clock: Callable[[], datetime] = _now) -> Redemption:
    """Record the venue's answer on a reserved or pending redemption (a refusal reverses the points)."""
    now = clock()
    if settlement.status == "settled":
        final = replace(redemption, status="settled", amount_out=settlement.amount_out,
                        reference=settlement.reference, fee_lamports=settlement.fee_lamports,
                        detail=settlement.detail[:300], updated_at=now)
    elif settlement.status == "pending":
        final = replace(redemption, status="pending", amount_out=settlement.amount_out,
                        reference=settlement.reference, fee_lamports=settlement.fee_lamports,
                        detail=settlement.detail, updated_at=now)
    else:
        final = replace(redemption, status="refused", reason=settlement.reason, reference=settlement.reference,
                        fee_lamports=settlement.fee_lamports, detail=settlement.detail[:300], updated_at=now)
    for _ in range(ATTEMPTS):
        with uow_factory() as uow:
            if final.status == "refused":
                account = uow.account(redemption.merchant_id, redemption.customer_id)
                uow.stage(ledger.reverse_redemption(account, redemption.points, redemption.redemption_id, now,
                                                    detail=f"settlement refused: {settlement.reason}"))
            uow.stage_redemption(final, redemption.status)
            try:
                uow.commit()
            except ConcurrentChange:
                stored = uow.redemption(redemption.merchant_id, redemption.redemption_id)
                if stored is not None and stored.status != redemption.status:
                    return stored  # someone (a concurrent resolve) recorded it first
                continue
            log.info("redemption %s %s", redemption.redemption_id, final.status)
            return final
    raise ConcurrentChange(f"redemption {redemption.redemption_id}: the account kept changing")


def pending_settlement(r: Redemption) -> Settlement:
    return Settlement(r.redemption_id, "pending", None, r.points, r.amount_out, r.reference, r.fee_lamports, r.detail)


def resolve_open(uow_factory: UowFactory, exchange: ExchangePort,
                 clock: Callable[[], datetime] = _now) -> list[tuple[Redemption, Redemption]]:
    """Ask the venue about every pending redemption and record its answer; (before, after) per redemption.
    A `reserved` one (a crash between the reservation and the venue's answer) has no reference to ask
    about: it is listed unchanged for a person to check (the venue's memos and client order id name the
    redemption id); so is one settled at another venue than `exchange` (the venue was switched meanwhile)."""
    with uow_factory() as uow:
        found = uow.open_redemptions()
    out = []
    for r in sorted(found, key=lambda r: r.created_at):
        if r.status != "pending" or r.reference is None or r.venue != exchange.venue:
            out.append((r, r))
            continue
        answer = exchange.resolve(pending_settlement(r))
        out.append((r, r if answer.status == "pending" else apply_settlement(r, answer, uow_factory, clock)))
    return out
