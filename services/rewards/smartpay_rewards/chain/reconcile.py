"""Reconciliation of on-chain points with the ledger (`smartpay rewards reconcile`).

compare() is pure: the ledger's expected balance per wallet (minted - redeemed, net of burns) and its total
supply (minted - burned), against the chain's balance per wallet and the mint's supply. Transfers between
customers' wallets move balances without any ledger entry, so a per-wallet difference is reported with its
sign for a person to judge, while the supply is exact: any difference there is points minted or burned
outside the ledger (a double mint, a lost mint record), the alarm that matters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from solders.pubkey import Pubkey

from smartpay_rewards.chain.points_mint import PointsMint
from smartpay_rewards.chain.ports import ChainReading


@dataclass(frozen=True)
class Mismatch:
    wallet: str
    expected: int
    on_chain: int
    kind: str  # "short" (chain below the ledger) | "excess" (chain above the ledger)

    @property
    def difference(self) -> int:
        return self.on_chain - self.expected


@dataclass(frozen=True)
class ReconciliationReport:
    wallets_checked: int
    mismatches: tuple[Mismatch, ...]
    expected_supply: int
    on_chain_supply: int
    unknown_wallets: tuple[str, ...] = field(default=())  # holders the ledger has no record of (e.g. the pool)

    @property
    def supply_agrees(self) -> bool:
        return self.expected_supply == self.on_chain_supply

    @property
    def ok(self) -> bool:
        return self.supply_agrees and not self.mismatches


def compare(expected: Mapping[str, int], chain: ChainReading, expected_supply: int,
            ignore: frozenset[str] = frozenset()) -> ReconciliationReport:
    mismatches = []
    for wallet in sorted(expected):
        on_chain = chain.balances.get(wallet, 0)
        if on_chain != expected[wallet]:
            mismatches.append(Mismatch(wallet, expected[wallet], on_chain,
                                       "short" if on_chain < expected[wallet] else "excess"))
    unknown = tuple(sorted(w for w, amount in chain.balances.items()
                           if w not in expected and w not in ignore and amount))
    return ReconciliationReport(len(expected), tuple(mismatches), expected_supply, chain.supply, unknown)


def read_chain(points: PointsMint, wallets: list[str]) -> ChainReading:
    """One account read per wallet (its associated token account) plus the mint."""
    return ChainReading({w: points.balance(Pubkey.from_string(w)) for w in wallets}, points.supply())


def reconcile(points: PointsMint, expected: Mapping[str, int], expected_supply: int) -> ReconciliationReport:
    return compare(expected, read_chain(points, list(expected)), expected_supply)
