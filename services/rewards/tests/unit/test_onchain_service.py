"""The on-chain use cases over the fake unit of work and a real Solana VM (LiteSVM): wallet link by a signed
challenge (replay refused), the mint run with the ledger as the journal (crash between send and outcome,
recover, no double mint), refunds offsetting, redemption through the pool (settled, refused -> reversal,
pending -> resolve), and the reconciliation agreeing after each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from smartpay_rewards.adapters.memory import FakeUnitOfWork, MemoryStore
from smartpay_rewards.chain import spl
from smartpay_rewards.chain.challenge_store import InMemoryChallengeStore
from smartpay_rewards.chain.cluster import LiteSvmCluster
from smartpay_rewards.chain.minter import BatchMinter
from smartpay_rewards.chain.points_mint import POINTS_DECIMALS, PointsMint
from smartpay_rewards.chain.ports import ClusterError
from smartpay_rewards.chain.reconcile import read_chain
from smartpay_rewards.chain.wallets import SignedMessageVerifier, WalletLinkRefused
from smartpay_rewards.domain.errors import (AccountNotFound, ChallengeMismatch, InsufficientPoints,
                                            WalletAlreadyLinked, WalletNotLinked)
from smartpay_rewards.domain.model import Capture, ChainSetup, EntryKind, Refund
from smartpay_rewards.domain.points import EarnRates
from smartpay_rewards.exchange.pool import ConstantProductPool
from smartpay_rewards.service_layer import ledger, onchain, redeem

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
RATES = EarnRates("1", {})
SEED_POINTS, SEED_LAMPORTS = 1_000_000, 10 * 10**9


class World:
    def __init__(self):
        self.store = MemoryStore()
        self.uow = lambda: FakeUnitOfWork(self.store)
        self.cluster = LiteSvmCluster()
        self.payer, self.authority, self.pool_authority = Keypair(), Keypair(), Keypair()
        self.cluster.airdrop(self.payer.pubkey(), 1_000 * 10**9)
        self.points = PointsMint.create(self.cluster, Keypair(), self.authority, self.payer)
        self.pool = ConstantProductPool.create(self.points, self.pool_authority, Keypair(), self.payer, SEED_POINTS,
                                               SEED_LAMPORTS)
        with self.uow() as u:
            u.put_chain_setup(ChainSetup(str(self.points.address), str(self.pool.nonce_account),
                                         str(self.pool_authority.pubkey()), SEED_POINTS))
        self.journal = onchain.LedgerMintJournal(self.uow)
        self.minter = BatchMinter(self.points, self.journal, max_per_tx=3)
        self.verifier = SignedMessageVerifier(InMemoryChallengeStore())

    def capture(self, customer, amount, payment, merchant="m_shop"):
        ledger.apply_captured(Capture(merchant, customer, payment, f"evt_{payment}", "USD", amount, AT), self.uow,
                              RATES)

    def refund(self, customer, payment, total, merchant="m_shop"):
        ledger.apply_refunded(Refund(merchant, customer, payment, f"evt_r_{payment}_{total}", f"re_{total}", "USD",
                                     total, total, AT), self.uow)

    def link(self, customer, merchant="m_shop") -> Keypair:
        wallet = Keypair()
        challenge = onchain.issue_challenge(merchant, customer, str(wallet.pubkey()), self.uow, self.verifier)
        onchain.link_wallet(merchant, customer, challenge.nonce, str(wallet.sign_message(challenge.message)),
                            self.uow, self.verifier)
        return wallet

    def account(self, customer, merchant="m_shop"):
        with self.uow() as u:
            return u.account(merchant, customer)

    def reconcile(self):
        return onchain.reconcile(self.uow, lambda wallets: read_chain(self.points, wallets))

    def approve(self, wallet: Keypair, points: int):
        """The customer's own transaction: the pool authority may move `points` of the wallet's tokens."""
        self.cluster.airdrop(wallet.pubkey(), 10**8)
        p = self.points
        ix = spl.approve_checked(p.token_account(wallet.pubkey()), p.address, self.pool_authority.pubkey(),
                                 wallet.pubkey(), points, POINTS_DECIMALS, p.token_program)
        msg = MessageV0.try_compile(wallet.pubkey(), [ix], [], self.cluster.latest_blockhash())
        self.cluster.send(VersionedTransaction(msg, [wallet]))


@pytest.fixture
def w():
    return World()


def test_link_needs_a_customer_of_the_merchant_and_refuses_a_replay(w):
    wallet = Keypair()
    with pytest.raises(AccountNotFound):
        onchain.issue_challenge("m_shop", "cus_1", str(wallet.pubkey()), w.uow, w.verifier)
    w.capture("cus_1", 1000, "pay_1")
    w.capture("cus_2", 1000, "pay_2")
    with pytest.raises(AccountNotFound):  # another merchant's customer
        onchain.issue_challenge("m_other", "cus_1", str(wallet.pubkey()), w.uow, w.verifier)
    challenge = onchain.issue_challenge("m_shop", "cus_1", str(wallet.pubkey()), w.uow, w.verifier)
    signature = str(wallet.sign_message(challenge.message))
    with pytest.raises(ChallengeMismatch):
        onchain.link_wallet("m_shop", "cus_2", challenge.nonce, signature, w.uow, w.verifier)
    with pytest.raises(WalletLinkRefused) as refused:  # consumed by the mismatch attempt: signed once, used once
        onchain.link_wallet("m_shop", "cus_1", challenge.nonce, signature, w.uow, w.verifier)
    assert refused.value.reason == "already_used"
    again = onchain.issue_challenge("m_shop", "cus_1", str(wallet.pubkey()), w.uow, w.verifier)
    with pytest.raises(WalletLinkRefused) as bad:
        onchain.link_wallet("m_shop", "cus_1", again.nonce, str(Keypair().sign_message(again.message)), w.uow,
                            w.verifier)
    assert bad.value.reason == "bad_signature"
    linked = onchain.link_wallet("m_shop", "cus_1", again.nonce, str(wallet.sign_message(again.message)), w.uow,
                                 w.verifier)
    assert linked.wallet == str(wallet.pubkey())
    with pytest.raises(WalletAlreadyLinked):
        onchain.issue_challenge("m_shop", "cus_1", str(Keypair().pubkey()), w.uow, w.verifier)


def test_mint_run_mints_what_the_ledger_owes_once_and_reconciles(w):
    wallets = {}
    for i in range(7):
        w.capture(f"cus_{i}", 1000 + 100 * i, f"pay_{i}")
        wallets[i] = w.link(f"cus_{i}")
    w.capture("cus_nowallet", 5000, "pay_x")
    run = onchain.mint_run(w.uow, w.minter)
    assert run.minted_points == sum(10 + i for i in range(7)) and not run.failed
    assert len(run.results) == 3  # 7 orders, 3 per transaction
    for i in range(7):
        assert w.points.balance(wallets[i].pubkey()) == 10 + i
        a = w.account(f"cus_{i}")
        assert a.minted == 10 + i and a.balance == 10 + i  # a marker: the balance is unchanged
        assert [e.kind for e in w.store.entries[("m_shop", f"cus_{i}")].values()].count(EntryKind.MINTED) == 1
    assert w.reconcile().ok
    again = onchain.mint_run(w.uow, w.minter)   # nothing owed: nothing minted twice
    assert again.minted_points == 0 and again.results == []
    assert w.points.supply() == SEED_POINTS + sum(10 + i for i in range(7))


def test_a_crash_after_send_is_recovered_by_the_next_run_without_a_double_mint(w):
    w.capture("cus_1", 5000, "pay_1")
    wallet = w.link("cus_1")

    send = w.cluster.send

    def land_then_crash(tx):
        """Lands the transaction, then the run is killed before the outcome is recorded."""
        send(tx)
        raise SystemExit("killed after send")

    w.cluster.send = land_then_crash
    with pytest.raises(SystemExit):
        onchain.mint_run(w.uow, w.minter)
    assert w.points.balance(wallet.pubkey()) == 50 and w.account("cus_1").minted == 0  # on chain, not marked
    assert len(w.store.batches) == 1                                                   # the pending record
    w.cluster.send = send
    w.store.leases.clear()  # the killed run's lease (it would expire)
    run = onchain.mint_run(w.uow, w.minter)
    assert [r.status for r in run.recovered] == ["minted"] and run.results == []
    assert w.account("cus_1").minted == 50 and w.points.balance(wallet.pubkey()) == 50
    assert w.reconcile().ok and not w.store.batches


def test_a_batch_that_never_landed_is_minted_again_once(w):
    w.capture("cus_1", 3000, "pay_1")
    wallet = w.link("cus_1")
    send = w.cluster.send

    def lost(tx):
        raise SystemExit("killed before send")

    w.cluster.send = lost
    with pytest.raises(SystemExit):
        onchain.mint_run(w.uow, w.minter)
    w.cluster.send = send
    w.cluster.svm.expire_blockhash()  # the pending transaction's blockhash can no longer land
    w.store.leases.clear()
    run = onchain.mint_run(w.uow, w.minter)
    assert [r.status for r in run.recovered] == ["failed"] and run.minted_points == 30
    assert w.points.balance(wallet.pubkey()) == 30 and w.account("cus_1").minted == 30 and w.reconcile().ok


def test_a_run_holding_the_lease_blocks_a_second(w):
    w.capture("cus_1", 3000, "pay_1")
    w.link("cus_1")
    with w.uow() as u:
        assert u.acquire_lease(onchain.MINT_LEASE, "other", 1e12, 0)
    assert onchain.mint_run(w.uow, w.minter).locked
    assert w.account("cus_1").minted == 0


def test_a_killed_run_holds_minting_off_only_until_its_lease_expires(w):
    """A SIGKILLed run never releases its lease (no `finally`): the next runs are locked out until the lease,
    extended by the dead run's last pending write, expires; then the new run recovers the pending batch."""
    w.capture("cus_1", 5000, "pay_1")
    wallet = w.link("cus_1")
    send, t0 = w.cluster.send, 1_000_000.0

    def land_then_die(tx):
        send(tx)
        w.store.leases_at_death = dict(w.store.leases)  # what a SIGKILL leaves behind
        raise SystemExit("killed")

    w.cluster.send = land_then_die
    with pytest.raises(SystemExit):
        onchain.mint_run(w.uow, w.minter, clock=lambda: t0)
    w.cluster.send = send
    w.store.leases = w.store.leases_at_death
    assert list(w.store.leases.values())[0][1] == t0 + onchain.MINT_LEASE_SECONDS
    assert onchain.mint_run(w.uow, w.minter, clock=lambda: t0 + onchain.MINT_LEASE_SECONDS - 1).locked
    assert w.account("cus_1").minted == 0 and len(w.store.batches) == 1
    run = onchain.mint_run(w.uow, w.minter, clock=lambda: t0 + onchain.MINT_LEASE_SECONDS + 1)
    assert not run.locked and [r.status for r in run.recovered] == ["minted"] and run.results == []
    assert w.account("cus_1").minted == 50 and w.points.balance(wallet.pubkey()) == 50 and w.reconcile().ok


def test_every_pending_batch_extends_the_run_lease(w):
    for i in range(4):
        w.capture(f"cus_{i}", 1000, f"pay_{i}")
        w.link(f"cus_{i}")
    now = [1_000_000.0]
    seen = []
    send = w.cluster.send

    def send_later(tx):
        seen.append(dict(w.store.leases)[onchain.MINT_LEASE][1])
        now[0] += 40  # each batch takes 40 s: the 60 s lease would have run out without the extensions
        return send(tx)

    w.cluster.send = send_later
    run = onchain.mint_run(w.uow, w.minter, clock=lambda: now[0])
    assert len(run.results) == 2 and not run.failed and not run.lease_lost   # 4 orders, 3 per transaction
    assert seen == [1_000_000.0 + 60, 1_000_040.0 + 60]
    assert onchain.MINT_LEASE not in w.store.leases                            # released at the end


def test_a_run_whose_lease_was_taken_over_sends_nothing_more(w):
    """A run stalled past its lease: another run took the lease over; its next pending write is refused,
    so it sends nothing (the other run mints), and the other run's lease stands."""
    for i in range(4):
        w.capture(f"cus_{i}", 1000, f"pay_{i}")
        w.link(f"cus_{i}")
    sent = []
    send = w.cluster.send
    w.cluster.send = lambda tx: sent.append(tx) or send(tx)
    mint_batches = w.minter.mint_batches

    def stalled_then_taken_over(orders, prefix):
        with w.uow() as u:
            assert u.acquire_lease(onchain.MINT_LEASE, "other", 9e9, 5e9)  # the stalled run's lease expired
        return mint_batches(orders, prefix)

    w.minter.mint_batches = stalled_then_taken_over
    run = onchain.mint_run(w.uow, w.minter)
    assert run.lease_lost and run.results == [] and sent == [] and not w.store.batches
    assert all(w.account(f"cus_{i}").minted == 0 for i in range(4))
    assert w.store.leases[onchain.MINT_LEASE] == ("other", 9e9)  # not released by the stopped run


def test_a_refund_after_minting_is_offset_against_later_mints(w):
    w.capture("cus_1", 10_000, "pay_1")   # 100 points
    wallet = w.link("cus_1")
    onchain.mint_run(w.uow, w.minter)
    w.refund("cus_1", "pay_1", 4000)      # claws back 40
    run = onchain.mint_run(w.uow, w.minter)
    assert run.offsets == 1 and run.results == []
    w.capture("cus_1", 6000, "pay_2")     # 60 more: 40 pay the offset, 20 are minted
    run = onchain.mint_run(w.uow, w.minter)
    assert run.minted_points == 20 and w.points.balance(wallet.pubkey()) == 120
    assert w.account("cus_1").minted == 120 and w.reconcile().ok


def test_redemption_settled_through_the_pool_agrees_with_the_chain(w):
    w.capture("cus_1", 100_000, "pay_1")  # 1000 points
    wallet = w.link("cus_1")
    onchain.mint_run(w.uow, w.minter)
    w.approve(wallet, 400)
    sol_before = w.cluster.account(wallet.pubkey()).lamports
    done = redeem.redeem("m_shop", "cus_1", redeem.RedeemRequest(400, "SOL", 100), w.uow, w.pool)
    assert done.status == "settled" and done.amount_out >= done.min_out > 0
    assert w.cluster.account(wallet.pubkey()).lamports == sol_before + done.amount_out
    a = w.account("cus_1")
    assert a.balance == 600 and a.redeemed == 400 and w.points.balance(wallet.pubkey()) == 600
    assert w.reconcile().ok


def test_a_refused_settlement_gives_the_points_back_and_agrees(w):
    w.capture("cus_1", 100_000, "pay_1")
    wallet = w.link("cus_1")
    onchain.mint_run(w.uow, w.minter)
    # no approval: the pool refuses, nothing moves on chain, the ledger reverses
    done = redeem.redeem("m_shop", "cus_1", redeem.RedeemRequest(400, "SOL", 100), w.uow, w.pool)
    assert done.status == "refused" and done.reason == "rejected"
    kinds = [e.kind for e in sorted(w.store.entries[("m_shop", "cus_1")].values(), key=lambda e: e.seq)]
    assert kinds[-2:] == [EntryKind.REDEEM, EntryKind.REDEEM_REVERSAL]
    a = w.account("cus_1")
    assert a.balance == 1000 and a.redeemed == 0 and w.points.balance(wallet.pubkey()) == 1000
    assert w.reconcile().ok


def test_a_lost_settlement_reply_is_pending_then_resolved(w):
    w.capture("cus_1", 100_000, "pay_1")
    wallet = w.link("cus_1")
    onchain.mint_run(w.uow, w.minter)
    w.approve(wallet, 300)
    send, status = w.cluster.send, w.cluster.signature_status

    def landed_reply_lost(tx):
        send(tx)
        raise ClusterError("timeout", retriable=True, outcome_unknown=True)

    def unreachable(signature):
        raise ClusterError("rpc down", retriable=True)

    w.cluster.send, w.cluster.signature_status = landed_reply_lost, unreachable
    done = redeem.redeem("m_shop", "cus_1", redeem.RedeemRequest(300, "SOL", 100), w.uow, w.pool)
    assert done.status == "pending" and done.reference
    assert w.account("cus_1").redeemed == 300        # held on both sides until resolved
    w.cluster.send, w.cluster.signature_status = send, status
    [(before, after)] = redeem.resolve_open(w.uow, w.pool)
    assert before.status == "pending" and after.status == "settled"
    assert w.points.balance(wallet.pubkey()) == 700 and w.reconcile().ok


def test_redeem_refuses_before_writing_anything(w):
    with pytest.raises(AccountNotFound):
        redeem.redeem("m_shop", "cus_1", redeem.RedeemRequest(1, "SOL"), w.uow, w.pool)
    w.capture("cus_1", 1000, "pay_1")
    with pytest.raises(WalletNotLinked):
        redeem.redeem("m_shop", "cus_1", redeem.RedeemRequest(1, "SOL"), w.uow, w.pool)
    w.link("cus_1")
    with pytest.raises(InsufficientPoints):
        redeem.redeem("m_shop", "cus_1", redeem.RedeemRequest(11, "SOL"), w.uow, w.pool)
    assert w.account("cus_1").seq == 1 and not w.store.redemptions


def test_reconcile_reports_tokens_minted_outside_the_ledger(w):
    w.capture("cus_1", 1000, "pay_1")
    wallet = w.link("cus_1")
    onchain.mint_run(w.uow, w.minter)
    w.points.send([spl.mint_to(w.points.address, w.points.token_account(wallet.pubkey()),
                               w.authority.pubkey(), 5)], [w.payer, w.authority])
    report = w.reconcile()
    assert not report.ok and not report.supply_agrees
    assert [(m.wallet, m.expected, m.on_chain) for m in report.mismatches] == [(str(wallet.pubkey()), 10, 15)]
