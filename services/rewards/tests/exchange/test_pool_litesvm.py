"""Redemption through the constant-product pool on a real Solana VM: quote, settlement in one transaction,
expiry, slippage, concurrent swaps, and failures mid-transaction that leave chain and ledger consistent."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from smartpay_rewards.chain.ports import ClusterError
from smartpay_rewards.exchange.pool import ConstantProductPool
from smartpay_rewards.exchange.ports import QuoteRefused, Redeemer


def state(pool, customer):
    r = pool.reserves()
    return (r.points, r.out, pool.points.balance(customer.pubkey()),
            pool.cluster.account(customer.pubkey()).lamports)


def test_quote_then_settle_moves_points_in_and_lamports_out_atomically(pool, customer):
    before = state(pool, customer)
    quote = pool.quote(1_000, "SOL", slippage_bps=50)
    effective_in = 1_000 * (10_000 - 30)
    assert quote.amount_out == 10 * 10**9 * effective_in // (1_000_000 * 10_000 + effective_in)  # x*y=k, 0.3 % fee
    settlement = pool.settle(quote, Redeemer(str(customer.pubkey()), customer))
    assert settlement.status == "settled" and settlement.points_in == 1_000
    assert settlement.amount_out == quote.amount_out and settlement.fee_lamports == 15_000
    after = state(pool, customer)
    assert after == (before[0] + 1_000, before[1] - quote.amount_out, before[2] - 1_000, before[3] + quote.amount_out)
    assert (after[0]) * (after[1]) >= before[0] * before[1]  # k did not decrease
    assert pool.cluster.signature_status(settlement.reference) == "landed"


def test_expired_quote_refused_and_nothing_moves(pool, customer, clock):
    quote = pool.quote(1_000, "SOL")
    before = state(pool, customer)
    clock.now = quote.expires_at
    settlement = pool.settle(quote, Redeemer(str(customer.pubkey()), customer))
    assert (settlement.status, settlement.reason, settlement.points_in) == ("refused", "expired", 0)
    assert state(pool, customer) == before


def swap(pool, wallet, points):
    return pool.settle(pool.quote(points, "SOL", slippage_bps=5_000), Redeemer(str(wallet.pubkey()), wallet))


def whale(pool, chain):
    from smartpay_rewards.chain.journal import InMemoryMintJournal
    from smartpay_rewards.chain.minter import BatchMinter
    from smartpay_rewards.chain.ports import MintOrder

    cluster, points, _ = chain
    big = Keypair()
    cluster.airdrop(big.pubkey(), 10**9)
    BatchMinter(points, InMemoryMintJournal()).mint_batches([MintOrder("m1", "whale", str(big.pubkey()), 200_000)], "w")
    return big


def test_reserves_moved_beyond_the_slippage_limit_refused(pool, customer, chain):
    quote = pool.quote(1_000, "SOL", slippage_bps=100)
    assert swap(pool, whale(pool, chain), 100_000).status == "settled"  # the price of points falls ~17 %
    before = state(pool, customer)
    settlement = pool.settle(quote, Redeemer(str(customer.pubkey()), customer))
    assert (settlement.status, settlement.reason) == ("refused", "slippage")
    assert state(pool, customer) == before


def test_small_move_within_the_limit_settles_at_the_current_price(pool, customer, chain):
    quote = pool.quote(1_000, "SOL", slippage_bps=500)
    assert swap(pool, whale(pool, chain), 10_000).status == "settled"  # ~2 % move
    settlement = pool.settle(quote, Redeemer(str(customer.pubkey()), customer))
    assert settlement.status == "settled"
    assert quote.min_out <= settlement.amount_out < quote.amount_out


class SwapLandsFirst:
    """Another settlement lands between our pricing and our send (a real transaction on the real chain)."""

    def __init__(self, inner, pool, wallet, points):
        self.inner, self.pool, self.wallet, self.points, self.armed = inner, pool, wallet, points, True

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def send(self, tx):
        if self.armed:
            self.armed = False
            other = ConstantProductPool(self.pool.points, self.pool.authority, self.pool.nonce_account,
                                        self.pool.payer, clock=self.pool.clock)
            assert swap(other, self.wallet, self.points).status == "settled"
        return self.inner.send(tx)


def with_cluster(pool, cluster):
    from smartpay_rewards.chain.points_mint import PointsMint

    p = pool.points
    points = PointsMint(cluster, p.address, p.authority, p.payer, p.refund_mode)
    return ConstantProductPool(points, pool.authority, pool.nonce_account, pool.payer, clock=pool.clock)


def test_a_swap_landing_first_invalidates_the_nonce_and_the_settlement_is_re_priced(pool, customer, chain):
    racing = with_cluster(pool, SwapLandsFirst(pool.cluster, pool, whale(pool, chain), 5_000))
    quote = racing.quote(1_000, "SOL", slippage_bps=300)
    settlement = racing.settle(quote, Redeemer(str(customer.pubkey()), customer))
    assert settlement.status == "settled"
    assert settlement.amount_out < quote.amount_out  # priced on the moved reserves, not the stale ones
    r = pool.reserves()
    assert r.points == 1_000_000 + 5_000 + 1_000


class DrainFirst:
    """The SOL reserve is drained between pricing and sending: the points transfer (2nd instruction) runs,
    the payout (3rd) fails, and the chain reverts the whole transaction."""

    def __init__(self, inner, pool):
        self.inner, self.pool, self.armed = inner, pool, True

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def send(self, tx):
        if self.armed:
            self.armed = False
            authority = self.pool.authority
            sink = Keypair()
            keep = self.inner.minimum_balance(0) + 1_000
            amount = self.inner.account(authority.pubkey()).lamports - keep
            self.inner.send(VersionedTransaction(MessageV0.try_compile(
                self.pool.payer.pubkey(), [transfer(TransferParams(from_pubkey=authority.pubkey(),
                                                                   to_pubkey=sink.pubkey(), lamports=amount))],
                [], self.inner.latest_blockhash()), [self.pool.payer, authority]))
        return self.inner.send(tx)


def test_failure_mid_transaction_reverts_everything_and_is_refused(pool, customer):
    failing = with_cluster(pool, DrainFirst(pool.cluster, pool))
    quote = failing.quote(1_000, "SOL")
    points_before = pool.reserves().points, pool.points.balance(customer.pubkey())
    settlement = failing.settle(quote, Redeemer(str(customer.pubkey()), customer))
    assert (settlement.status, settlement.reason, settlement.points_in, settlement.amount_out) == \
        ("refused", "chain_error", 0, 0)
    assert settlement.fee_lamports == 15_000  # executed and reverted: only the fee was paid (by the platform)
    assert (pool.reserves().points, pool.points.balance(customer.pubkey())) == points_before


class LostReply:
    def __init__(self, inner, deliver):
        self.inner, self.deliver, self.armed, self.lost = inner, deliver, True, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def send(self, tx):
        if not self.armed:
            return self.inner.send(tx)
        self.armed = False
        self.lost.append(tx)
        if self.deliver:
            self.inner.send(tx)
        raise ClusterError("timeout", retriable=True, outcome_unknown=True)


def test_lost_reply_after_landing_is_settled_from_the_chain(pool, customer):
    lossy = with_cluster(pool, LostReply(pool.cluster, deliver=True))
    before = state(pool, customer)
    settlement = lossy.settle(lossy.quote(1_000, "SOL"), Redeemer(str(customer.pubkey()), customer))
    assert settlement.status == "settled"
    assert state(pool, customer)[2] == before[2] - 1_000


def test_lost_request_is_cancelled_by_advancing_the_nonce_and_can_never_land(pool, customer):
    cluster = LostReply(pool.cluster, deliver=False)
    lossy = with_cluster(pool, cluster)
    before = state(pool, customer)
    settlement = lossy.settle(lossy.quote(1_000, "SOL"), Redeemer(str(customer.pubkey()), customer))
    assert (settlement.status, settlement.reason, settlement.points_in) == ("refused", "cancelled", 0)
    assert state(pool, customer)[:3] == before[:3]
    # The lost transaction arriving late (a delayed packet): its nonce was advanced, the chain refuses it.
    [late] = cluster.lost
    try:
        pool.cluster.send(late)
        landed = True
    except ClusterError as e:
        landed = False
        assert "BlockhashNotFound" in str(e)
    assert not landed and state(pool, customer)[:3] == before[:3]


def test_refusals_before_sending(pool, customer, chain):
    stranger = Keypair()
    quote = pool.quote(1_000, "SOL")
    assert pool.settle(quote, Redeemer(str(customer.pubkey()), None)).reason == "rejected"
    assert pool.settle(quote, Redeemer(str(stranger.pubkey()), stranger)).reason == "insufficient_points"
    too_many = pool.quote(6_000, "SOL")
    assert pool.settle(too_many, Redeemer(str(customer.pubkey()), customer)).reason == "insufficient_points"


class RedemptionLedger:
    """The caller's side, reduced to what a redemption does: points per holder, debited only on "settled"."""

    def __init__(self, holdings: dict[str, int]):
        self.holdings = dict(holdings)
        self.supply = sum(holdings.values())
        self.applied = []

    def minted(self, wallet: str, points: int):
        self.holdings[wallet] = self.holdings.get(wallet, 0) + points
        self.supply += points

    def apply(self, settlement, wallet: str, pool_wallet: str):
        assert settlement.status in ("settled", "refused")
        self.applied.append(settlement.status)
        if settlement.status == "settled":
            self.holdings[wallet] -= settlement.points_in
            self.holdings[pool_wallet] += settlement.points_in


def test_ledger_and_chain_agree_after_settled_and_failed_redemptions(pool, customer, chain, clock):
    """A ledger acting only on each settlement's status agrees with the chain after a settled, an expired, a
    slipped and a mid-transaction-failed redemption (and another customer's swap in between)."""
    from smartpay_rewards.chain.reconcile import reconcile

    wallet, pool_wallet = str(customer.pubkey()), str(pool.authority.pubkey())
    ledger = RedemptionLedger({wallet: 5_000, pool_wallet: 1_000_000})
    redeemer = Redeemer(wallet, customer)

    ledger.apply(pool.settle(pool.quote(1_000, "SOL"), redeemer), wallet, pool_wallet)
    expired = pool.quote(500, "SOL")
    clock.now = expired.expires_at
    ledger.apply(pool.settle(expired, redeemer), wallet, pool_wallet)
    slipped = pool.quote(500, "SOL", slippage_bps=10)
    big = whale(pool, chain)
    ledger.minted(str(big.pubkey()), 200_000)
    ledger.apply(swap(pool, big, 50_000), str(big.pubkey()), pool_wallet)
    ledger.apply(pool.settle(slipped, redeemer), wallet, pool_wallet)
    failing = with_cluster(pool, DrainFirst(pool.cluster, pool))
    ledger.apply(failing.settle(failing.quote(500, "SOL"), redeemer), wallet, pool_wallet)
    assert ledger.applied == ["settled", "refused", "settled", "refused", "refused"]
    report = reconcile(pool.points, ledger.holdings, ledger.supply)
    assert report.ok, report


def test_stablecoin_pool_pays_out_an_spl_token(chain, customer, clock):
    """Points against a USDC-like SPL mint (6 decimals): the customer's first payout creates their token
    account (its rent counted in the platform's cost), and the payer's measured balance change agrees."""
    from solders.system_program import CreateAccountParams, create_account

    from smartpay_rewards.chain import spl
    from smartpay_rewards.exchange.pool import OutAsset

    cluster, points, payer = chain
    issuer, usdc = Keypair(), Keypair()
    cluster.send(VersionedTransaction(MessageV0.try_compile(payer.pubkey(), [
        create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=usdc.pubkey(),
                                           lamports=cluster.minimum_balance(spl.MINT_SIZE), space=spl.MINT_SIZE,
                                           owner=spl.TOKEN_PROGRAM_ID)),
        spl.initialize_mint2(usdc.pubkey(), 6, issuer.pubkey())], [], cluster.latest_blockhash()), [payer, usdc]))
    out = OutAsset("USDC", 6, usdc.pubkey())
    pool = ConstantProductPool.create(points, Keypair(), Keypair(), payer, 1_000_000, 10_000 * 10**6, out=out,
                                      out_mint_authority=issuer, clock=clock)
    with pytest.raises(QuoteRefused):
        pool.quote(1_000, "SOL")
    quote = pool.quote(1_000, "USDC")
    effective_in = 1_000 * (10_000 - 30)
    assert quote.amount_out == 10_000 * 10**6 * effective_in // (1_000_000 * 10_000 + effective_in)
    before = cluster.account(payer.pubkey()).lamports
    settlement = pool.settle(quote, Redeemer(str(customer.pubkey()), customer))
    assert settlement.status == "settled"
    customer_usdc = cluster.account(spl.associated_token_address(customer.pubkey(), usdc.pubkey()))
    assert spl.token_account_amount(customer_usdc.data) == quote.amount_out
    assert pool.reserves().points == 1_001_000 and pool.reserves().out == 10_000 * 10**6 - quote.amount_out
    assert settlement.fee_lamports == before - cluster.account(payer.pubkey()).lamports == 15_000 + 2_039_280
