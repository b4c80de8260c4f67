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
import requests
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from smartpay_shared.testing import free_port

from smartpay_rewards.chain.cluster import RpcCluster
from smartpay_rewards.chain.journal import InMemoryMintJournal
from smartpay_rewards.chain.minter import BatchMinter
from smartpay_rewards.chain.points_mint import PointsMint
from smartpay_rewards.chain.ports import ClusterError, MintOrder, PendingBatch
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


class AnotherSenderFirst(RpcCluster):
    """The sandbox with a concurrent sender: before each of our first `races` sends, another transaction (a
    SOL transfer by someone else) lands, so the blockhash ours was signed with has expired (the sandbox keeps
    only its latest blockhash, as LiteSVM does)."""

    def __init__(self, url: str, races: int):
        super().__init__(url, timeout_seconds=5)
        self.races, self.sends = races, 0
        self.other = Keypair()
        self.airdrop(self.other.pubkey(), 10**9)

    def send(self, tx):
        self.sends += 1
        if self.sends <= self.races:
            message = MessageV0.try_compile(self.other.pubkey(), [transfer(TransferParams(
                from_pubkey=self.other.pubkey(), to_pubkey=Keypair().pubkey(), lamports=10**6))], [],
                self.latest_blockhash())
            super().send(VersionedTransaction(message, [self.other]))
        return super().send(tx)


def test_a_send_whose_blockhash_expired_is_retriable_and_never_landed(rpc_url):
    cluster = AnotherSenderFirst(rpc_url, races=1)
    payer = Keypair()
    cluster.airdrop(payer.pubkey(), 10**9)
    message = MessageV0.try_compile(payer.pubkey(), [transfer(TransferParams(
        from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=10**6))], [], cluster.latest_blockhash())
    tx = VersionedTransaction(message, [payer])
    with pytest.raises(ClusterError) as refused:
        cluster.send(tx)
    assert refused.value.retriable and not refused.value.outcome_unknown
    assert "Blockhash" in str(refused.value)
    assert cluster.signature_status(str(tx.signatures[0])) is None
    assert cluster.account(payer.pubkey()).lamports == 10**9  # nothing executed, no fee


def test_the_minter_signs_again_with_a_fresh_blockhash_instead_of_splitting(rpc_url):
    cluster = AnotherSenderFirst(rpc_url, races=0)
    payer = Keypair()
    cluster.airdrop(payer.pubkey(), 10 * 10**9)
    points = PointsMint.create(cluster, Keypair(), Keypair(), payer)
    cluster.sends, cluster.races, journal = 0, 1, InMemoryMintJournal()  # the batch's first send loses the race
    orders = [MintOrder("m1", f"c{i}", str(Keypair().pubkey()), 10 + i) for i in range(4)]
    before = cluster.account(payer.pubkey()).lamports
    [result] = BatchMinter(points, journal).mint_batches(orders, "race")
    assert (result.status, result.batch_id, result.attempts, len(result.orders)) == ("minted", "race-0", 2, 4)
    assert cluster.signature_status(result.signature) == "landed" and journal.pending() == []
    assert result.lamports_spent == before - cluster.account(payer.pubkey()).lamports  # the refused send cost 0
    assert reconcile(points, {o.wallet: o.amount for o in orders}, sum(o.amount for o in orders)).ok


def test_the_retries_are_bounded(rpc_url):
    cluster = AnotherSenderFirst(rpc_url, races=0)
    payer = Keypair()
    cluster.airdrop(payer.pubkey(), 10 * 10**9)
    points = PointsMint.create(cluster, Keypair(), Keypair(), payer)
    cluster.sends, cluster.races = 0, 10**6  # from now on every send loses the race
    orders = [MintOrder("m1", f"c{i}", str(Keypair().pubkey()), 5) for i in range(2)]
    journal = InMemoryMintJournal()
    [result] = BatchMinter(points, journal, max_retries=2).mint_batches(orders, "lost")
    assert (result.status, result.batch_id, result.attempts) == ("failed", "lost-0", 3)
    assert cluster.sends == 3 and "blockhash expired" in result.reason
    assert journal.pending() == [] and points.supply() == 0


class StatusReadFailsOnce(requests.Session):
    """The connection drops once while the client polls a sent transaction's status (the transaction itself
    reached the sandbox and landed)."""

    def __init__(self):
        super().__init__()
        self.dropped = False

    def post(self, url, json=None, **kwargs):
        if json and json.get("method") == "getSignatureStatuses" and not self.dropped:
            self.dropped = True
            raise requests.ConnectionError("connection reset")
        return super().post(url, json=json, **kwargs)


def test_a_lost_status_read_after_the_send_is_resolved_from_the_chain_not_minted_twice(rpc_url):
    cluster = RpcCluster(rpc_url, timeout_seconds=5)
    payer = Keypair()
    cluster.airdrop(payer.pubkey(), 10 * 10**9)
    points = PointsMint.create(cluster, Keypair(), Keypair(), payer)
    cluster._rpc._http = session = StatusReadFailsOnce()
    orders = [MintOrder("m1", f"c{i}", str(Keypair().pubkey()), 7) for i in range(3)]
    [result] = BatchMinter(points, InMemoryMintJournal(), poll_seconds=0.05).mint_batches(orders, "drop")
    assert session.dropped and (result.status, result.attempts) == ("minted", 1)
    assert points.supply() == 21  # once: the batch was not signed again
