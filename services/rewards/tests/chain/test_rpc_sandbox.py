"""RpcCluster over real HTTP against the local stack's Solana sandbox (LiteSVM behind JSON-RPC), started as
the stack starts it: `python -m smartpay_payment.sandbox.solana_rpc --port <free port>` in its own process
(no import of the payment service). Skipped where that module is not installed (rewards' own pipeline)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
import urllib.request

import pytest
from solders.keypair import Keypair

from smartpay_shared.testing import free_port

from smartpay_rewards.chain.cluster import RpcCluster
from smartpay_rewards.chain.journal import InMemoryMintJournal
from smartpay_rewards.chain.minter import BatchMinter
from smartpay_rewards.chain.points_mint import PointsMint
from smartpay_rewards.chain.ports import MintOrder, PendingBatch
from smartpay_rewards.chain.reconcile import reconcile

SANDBOX = "smartpay_payment.sandbox.solana_rpc"
pytestmark = pytest.mark.skipif(importlib.util.find_spec(SANDBOX) is None, reason=f"{SANDBOX} not installed")


@pytest.fixture(scope="module")
def rpc_url(tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("solana") / "sandbox.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", SANDBOX, "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(url, timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the Solana sandbox did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_mint_and_reconcile_over_json_rpc(rpc_url):
    cluster = RpcCluster(rpc_url, timeout_seconds=5)
    payer, authority = Keypair(), Keypair()
    cluster.airdrop(payer.pubkey(), 10 * 10**9)
    points = PointsMint.create(cluster, Keypair(), authority, payer)
    orders = [MintOrder("m1", f"c{i}", str(Keypair().pubkey()), 10 + i) for i in range(3)]
    [result] = BatchMinter(points, InMemoryMintJournal()).mint_batches(orders, "rpc")
    assert result.status == "minted" and cluster.signature_status(result.signature) == "landed"
    assert reconcile(points, {o.wallet: o.amount for o in orders}, sum(o.amount for o in orders)).ok


def test_recovery_needs_is_blockhash_valid(rpc_url):
    # Recovery of a batch never seen asks the cluster whether its blockhash may still land (isBlockhashValid).
    cluster = RpcCluster(rpc_url, timeout_seconds=5)
    payer = Keypair()
    cluster.airdrop(payer.pubkey(), 10**9)
    points = PointsMint.create(cluster, Keypair(), Keypair(), payer)
    journal = InMemoryMintJournal()
    minter = BatchMinter(points, journal)
    orders = [MintOrder("m1", "c1", str(Keypair().pubkey()), 5)]
    tx = points.compile(minter._instructions("never-sent-0", orders, {orders[0].wallet}))
    journal.record_pending(PendingBatch("never-sent-0", tuple(orders), str(tx.signatures[0]),
                                        str(tx.message.recent_blockhash), 1))
    [result] = minter.recover()
    assert result.status == "unresolved"  # still the latest blockhash: it may land
