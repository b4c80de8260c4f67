"""A real Solana VM with the points mint and a constant-product pool (points / SOL) seeded on it."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair

from smartpay_rewards.chain.cluster import LiteSvmCluster
from smartpay_rewards.chain.journal import InMemoryMintJournal
from smartpay_rewards.chain.minter import BatchMinter
from smartpay_rewards.chain.points_mint import PointsMint
from smartpay_rewards.chain.ports import MintOrder
from smartpay_rewards.exchange.pool import ConstantProductPool

SEED_POINTS = 1_000_000
SEED_LAMPORTS = 10 * 10**9  # 10 SOL: 10,000 lamports per point at the start


class Clock:
    def __init__(self):
        self.now = 2_000_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def chain():
    cluster = LiteSvmCluster()
    payer, authority = Keypair(), Keypair()
    cluster.airdrop(payer.pubkey(), 1_000 * 10**9)
    points = PointsMint.create(cluster, Keypair(), authority, payer)
    return cluster, points, payer


@pytest.fixture
def pool(chain, clock):
    cluster, points, payer = chain
    return ConstantProductPool.create(points, Keypair(), Keypair(), payer, SEED_POINTS, SEED_LAMPORTS,
                                      fee_bps=30, quote_ttl_seconds=30, clock=clock)


@pytest.fixture
def customer(chain):
    """A wallet holding 5,000 points (minted by a batch) and 0.01 SOL."""
    cluster, points, _ = chain
    wallet = Keypair()
    cluster.airdrop(wallet.pubkey(), 10_000_000)
    BatchMinter(points, InMemoryMintJournal()).mint_batches([MintOrder("m1", "c1", str(wallet.pubkey()), 5_000)],
                                                            "seed")
    return wallet
