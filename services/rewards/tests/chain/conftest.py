"""A real Solana VM per test (solders LiteSVM with the SPL programs), the platform's keys, the points mint."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair

from smartpay_rewards.chain.cluster import LiteSvmCluster
from smartpay_rewards.chain.journal import InMemoryMintJournal
from smartpay_rewards.chain.points_mint import PointsMint


@pytest.fixture
def cluster():
    return LiteSvmCluster()


@pytest.fixture
def payer(cluster):
    key = Keypair()
    cluster.airdrop(key.pubkey(), 100 * 10**9)
    return key


@pytest.fixture
def authority():
    return Keypair()


@pytest.fixture
def points(cluster, authority, payer):
    return PointsMint.create(cluster, Keypair(), authority, payer, "offset")


@pytest.fixture
def burnable_points(cluster, authority, payer):
    return PointsMint.create(cluster, Keypair(), authority, payer, "permanent_delegate_burn")


@pytest.fixture
def journal():
    return InMemoryMintJournal()
