"""Batched minting on a real Solana VM (LiteSVM): balances, fees measured from the payer's balance, packing
under the transaction size limit, split on a failing order, and crash recovery from the chain."""

from __future__ import annotations

import dataclasses

import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from smartpay_rewards.chain import spl
from smartpay_rewards.chain.accounting import Position, clawback, plan_mints
from smartpay_rewards.chain.minter import MEMO_PREFIX, BatchMinter
from smartpay_rewards.chain.points_mint import PointsMint
from smartpay_rewards.chain.ports import ClusterError, MintOrder
from smartpay_rewards.chain.reconcile import reconcile

U64_MAX = 2**64 - 1


def orders_for(n, amount=10, merchant="m1"):
    return [MintOrder(merchant, f"c{i}", str(Keypair().pubkey()), amount + i) for i in range(n)]


def lamports(cluster, key):
    return cluster.account(key.pubkey()).lamports


def test_one_batch_mints_every_order_and_reports_its_measured_cost(cluster, points, payer, journal):
    orders = orders_for(5)
    before = lamports(cluster, payer)
    [result] = BatchMinter(points, journal).mint_batches(orders, "b1")
    assert result.status == "minted" and len(result.orders) == 5
    for order in orders:
        assert points.balance(Pubkey.from_string(order.wallet)) == order.amount
    assert points.supply() == sum(o.amount for o in orders)
    spent = before - lamports(cluster, payer)
    assert result.lamports_spent == spent
    assert result.fee_lamports == 10_000  # payer + mint authority signatures, 5,000 each
    assert result.rent_lamports == 5 * points.token_account_rent()
    # The memo names the batch (the chain's own record of which batch minted what).
    assert cluster.signature_status(result.signature) == "landed"
    logs = cluster.svm.get_transaction(Signature.from_string(result.signature)).logs()
    assert any(MEMO_PREFIX + "b1-0" in line for line in logs)
    assert journal.pending() == []


def test_second_mint_to_known_wallets_creates_no_accounts(cluster, points, payer, journal):
    orders = orders_for(3)
    minter = BatchMinter(points, journal)
    minter.mint_batches(orders, "first")
    before = lamports(cluster, payer)
    [result] = minter.mint_batches(orders, "second")
    assert result.rent_lamports == 0 and result.lamports_spent == before - lamports(cluster, payer) == 10_000


def test_batches_are_packed_under_the_size_limit(cluster, points, journal):
    orders = orders_for(30)
    minter = BatchMinter(points, journal, max_per_tx=30)
    batches = minter.pack(orders)
    assert sum(len(b) for b in batches) == 30 and len(batches) > 1
    for batch in batches:
        tx = points.compile(minter._instructions("b" * 56, batch, {o.wallet for o in batch}))
        assert len(bytes(tx)) <= spl.TRANSACTION_SIZE_LIMIT
    results = minter.mint_batches(orders, "big")
    assert all(r.status == "minted" for r in results)
    assert points.supply() == sum(o.amount for o in orders)


def test_a_failing_order_is_isolated_by_splitting_and_nothing_is_minted_twice(cluster, points, journal):
    good = orders_for(5)
    poison = MintOrder("m1", "overflow", str(Keypair().pubkey()), U64_MAX)  # supply overflow: MintTo fails
    results = BatchMinter(points, journal).mint_batches(good[:2] + [poison] + good[2:], "split")
    failed = [r for r in results if r.status == "failed"]
    assert [o.customer_id for r in failed for o in r.orders] == ["overflow"]
    minted = [o for r in results if r.status == "minted" for o in r.orders]
    assert sorted(o.customer_id for o in minted) == sorted(o.customer_id for o in good)
    assert points.supply() == sum(o.amount for o in good)
    assert sum(journal.minted.values()) == points.supply()


class LostReply:
    """A real cluster whose reply to a send is lost (after the transaction executed, or before it reached it)."""

    def __init__(self, inner, deliver: bool, times: int = 1):
        self.inner, self.deliver, self.times = inner, deliver, times

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def send(self, tx):
        if self.times <= 0:
            return self.inner.send(tx)
        self.times -= 1
        if self.deliver:
            self.inner.send(tx)
        else:
            self.inner.svm.expire_blockhash()  # time passes; the transaction never arrived
        raise ClusterError("timeout", retriable=True, outcome_unknown=True)


def with_cluster(points, cluster):
    return PointsMint(cluster, points.address, points.authority, points.payer, points.refund_mode)


def test_lost_reply_after_landing_is_minted_once(cluster, points, journal):
    orders = orders_for(4)
    [result] = BatchMinter(with_cluster(points, LostReply(cluster, deliver=True)), journal).mint_batches(orders, "lr")
    assert result.status == "minted" and result.attempts == 1
    assert points.supply() == sum(o.amount for o in orders)


def test_lost_request_is_re_signed_and_minted_once(cluster, points, journal):
    orders = orders_for(4)
    [result] = BatchMinter(with_cluster(points, LostReply(cluster, deliver=False)), journal).mint_batches(orders, "lq")
    assert result.status == "minted" and result.attempts == 2
    assert points.supply() == sum(o.amount for o in orders)


class Crash(BaseException):
    """The worker dies: nothing after this point runs."""


class CrashAfterSend:
    def __init__(self, inner, deliver=True):
        self.inner, self.deliver = inner, deliver

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def send(self, tx):
        if self.deliver:
            self.inner.send(tx)
        else:
            self.inner.svm.expire_blockhash()
        raise Crash()


@pytest.mark.parametrize("landed", [True, False])
def test_crash_between_send_and_record_is_resolved_from_the_chain(cluster, points, journal, landed):
    positions = [Position("m1", o.customer_id, o.wallet, entitled=o.amount, minted=0) for o in orders_for(6)]
    with pytest.raises(Crash):
        BatchMinter(with_cluster(points, CrashAfterSend(cluster, deliver=landed)), journal).mint_batches(
            list(plan_mints(positions).orders), "crash")
    assert len(journal.pending()) == 1 and journal.minted == {}
    # A new worker: first recover, then plan from the ledger's minted totals, then mint.
    minter = BatchMinter(points, journal)
    [recovered] = minter.recover()
    assert recovered.status == ("minted" if landed else "failed")
    replanned = [Position(p.merchant_id, p.customer_id, p.wallet, p.entitled,
                          journal.minted.get((p.merchant_id, p.customer_id), 0)) for p in positions]
    orders = list(plan_mints(replanned).orders)
    assert len(orders) == (0 if landed else 6)
    if orders:
        minter.mint_batches(orders, "again")
    assert points.supply() == sum(p.entitled for p in positions)  # 0 lost, 0 doubled
    report = reconcile(points, {p.wallet: p.entitled for p in positions}, sum(p.entitled for p in positions))
    assert report.ok


def test_unresolved_while_the_blockhash_can_still_land(cluster, points, journal):
    """A pending record whose transaction was never seen and whose blockhash is still valid stays pending."""
    minter = BatchMinter(points, journal)
    tx_orders = orders_for(1)
    tx = points.compile(minter._instructions("u-0", tx_orders, {tx_orders[0].wallet}))
    from smartpay_rewards.chain.ports import PendingBatch

    journal.record_pending(PendingBatch("u-0", tuple(tx_orders), str(tx.signatures[0]),
                                       str(tx.message.recent_blockhash), 1))
    [result] = minter.recover()
    assert result.status == "unresolved" and len(journal.pending()) == 1
    cluster.send(tx)  # it lands after all
    [result] = minter.recover()
    assert result.status == "minted" and result.rent_lamports == points.token_account_rent()
    assert journal.pending() == [] and points.supply() == tx_orders[0].amount


def test_refund_offset_end_to_end(cluster, points, journal):
    wallet = str(Keypair().pubkey())
    minter = BatchMinter(points, journal)
    position = Position("m1", "c1", wallet, entitled=100, minted=0)
    minter.mint_batches(list(plan_mints([position]).orders), "e1")
    position = Position("m1", "c1", wallet, entitled=100, minted=journal.minted[("m1", "c1")])
    claw = clawback(position, 30, wallet_balance=points.balance(Pubkey.from_string(wallet)), mode=points.refund_mode)
    assert (claw.burn, claw.offset) == (0, 30)
    # Earn 50 more: only 20 are minted.
    position = Position("m1", "c1", wallet, entitled=claw.entitled + 50, minted=journal.minted[("m1", "c1")])
    [result] = minter.mint_batches(list(plan_mints([position]).orders), "e2")
    assert result.orders[0].amount == 20 and points.supply() == 120


def test_refund_burn_with_the_permanent_delegate(cluster, burnable_points, journal):
    owner = Keypair()
    wallet = str(owner.pubkey())
    BatchMinter(burnable_points, journal).mint_batches([MintOrder("m1", "c1", wallet, 100)], "t22")
    position = Position("m1", "c1", wallet, entitled=100, minted=100)
    claw = clawback(position, 30, burnable_points.balance(owner.pubkey()), burnable_points.refund_mode)
    assert (claw.burn, claw.offset) == (30, 0)
    burnable_points.burn_from(owner.pubkey(), claw.burn, "smartpay-rewards:refund:r1")
    assert burnable_points.balance(Pubkey.from_string(wallet)) == 70 and burnable_points.supply() == 70


def test_a_classic_mint_refuses_burning(points):
    from smartpay_rewards.chain.points_mint import MintSetupError

    with pytest.raises(MintSetupError):
        points.burn_from(Keypair().pubkey(), 1, "x")


def test_load_checks_the_authority(cluster, points, payer):
    from smartpay_rewards.chain.points_mint import MintSetupError

    assert PointsMint.load(cluster, points.address, points.authority, payer).refund_mode == "offset"
    with pytest.raises(MintSetupError):
        PointsMint.load(cluster, points.address, Keypair(), payer)
    assert "secret" not in repr(points).lower() and str(points.authority) not in repr(points)


def test_reconciliation_finds_a_mint_outside_the_ledger_and_a_transfer(cluster, points, journal):
    a, b = Keypair(), Keypair()
    cluster.airdrop(a.pubkey(), 10**9)
    BatchMinter(points, journal).mint_batches([MintOrder("m1", "a", str(a.pubkey()), 40),
                                               MintOrder("m1", "b", str(b.pubkey()), 10)], "r")
    expected = {str(a.pubkey()): 40, str(b.pubkey()): 10}
    assert reconcile(points, expected, 50).ok
    # a sends 5 points to b: per-wallet differences, supply still agrees.
    points.cluster.send(VersionedTransaction(MessageV0.try_compile(a.pubkey(), [spl.transfer_checked(
            points.token_account(a.pubkey()), points.address, points.token_account(b.pubkey()), a.pubkey(), 5, 0)],
            [], cluster.latest_blockhash()), [a]))
    report = reconcile(points, expected, 50)
    assert report.supply_agrees
    assert {m.wallet: (m.kind, m.difference) for m in report.mismatches} == {
        str(a.pubkey()): ("short", -5), str(b.pubkey()): ("excess", 5)}
    # A mint the ledger never recorded: the supply no longer agrees.
    points.send([spl.mint_to(points.address, points.token_account(b.pubkey()), points.authority.pubkey(), 7)],
                [points.payer, points.authority])
    assert not reconcile(points, expected, 50).supply_agrees


def test_an_expired_blockhash_is_retriable_and_the_batch_is_signed_again(cluster, points, payer, journal):
    # Another sender moved the chain on between signing and sending: nothing ran, the minter signs again.
    class ExpiresOnce(type(cluster)):
        expired = False

        def send(self, tx):
            if not self.expired:
                self.expired = True
                self.svm.expire_blockhash()
            return super().send(tx)

    racing = ExpiresOnce(cluster.svm)
    points = dataclasses.replace(points, cluster=racing)
    orders = orders_for(3)
    before = lamports(cluster, payer)
    [result] = BatchMinter(points, journal).mint_batches(orders, "race")
    assert (result.status, result.batch_id, result.attempts) == ("minted", "race-0", 2)
    assert result.lamports_spent == before - lamports(cluster, payer)
    tx = points.compile([spl.memo("stale", points.authority.pubkey())])
    cluster.svm.expire_blockhash()
    with pytest.raises(ClusterError) as refused:
        racing.send(tx)
    assert refused.value.retriable and not refused.value.outcome_unknown
    assert racing.signature_status(str(tx.signatures[0])) is None
