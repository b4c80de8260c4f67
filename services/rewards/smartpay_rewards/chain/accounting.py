"""Pure accounting of on-chain points (no I/O): what to mint, what a refund does to tokens already minted,
and how a wallet's expected balance is derived. Quantities per (merchant, customer), cumulative:
- entitled: points the ledger has credited for delivery on chain (earned minus clawed back); redemptions
  do not lower it (they move tokens the customer already holds);
- minted:   points minted to the wallet, net of permanent-delegate burns;
- redeemed: points the customer moved into the exchange pool.
owed = entitled - minted: > 0 is minted by the next batch; < 0 is an offset (a debt) that future earnings
pay off before anything more is minted."""

from __future__ import annotations

from dataclasses import dataclass

from smartpay_rewards.chain.points_mint import RefundMode
from smartpay_rewards.chain.ports import MintOrder


@dataclass(frozen=True)
class Position:
    merchant_id: str
    customer_id: str
    wallet: str
    entitled: int
    minted: int
    redeemed: int = 0

    @property
    def owed(self) -> int:
        return self.entitled - self.minted

    @property
    def expected_balance(self) -> int:
        return self.minted - self.redeemed


@dataclass(frozen=True)
class Offset:
    merchant_id: str
    customer_id: str
    debt: int  # points already on chain beyond the entitlement


@dataclass(frozen=True)
class MintPlan:
    orders: tuple[MintOrder, ...]
    offsets: tuple[Offset, ...]


def plan_mints(positions: list[Position]) -> MintPlan:
    orders, offsets = [], []
    for p in sorted(positions, key=lambda p: (p.merchant_id, p.customer_id)):
        if p.owed > 0:
            orders.append(MintOrder(p.merchant_id, p.customer_id, p.wallet, p.owed))
        elif p.owed < 0:
            offsets.append(Offset(p.merchant_id, p.customer_id, -p.owed))
    return MintPlan(tuple(orders), tuple(offsets))


@dataclass(frozen=True)
class Clawback:
    burn: int    # burned from the wallet now (permanent-delegate mode only)
    offset: int  # left as a debt against future mints
    entitled: int  # the new entitlement


def clawback(position: Position, points: int, wallet_balance: int, mode: RefundMode) -> Clawback:
    """A refund takes back `points`: points not yet minted are simply never minted; minted ones are burned
    (burn mode, up to what the wallet still holds) or offset."""
    if points < 0:
        raise ValueError("a clawback is a positive number of points")
    entitled = position.entitled - points
    overhang = max(0, position.minted - entitled)  # tokens on chain beyond the new entitlement
    burn = min(overhang, max(0, wallet_balance)) if mode == "permanent_delegate_burn" else 0
    return Clawback(burn=burn, offset=overhang - burn, entitled=entitled)
