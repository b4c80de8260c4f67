"""The ccxt venue's points side on a real Solana VM (LiteSVM), its orders against the recorded Binance responses:
the points are collected into the treasury before the order and given back on a refusal; a lost reply at any
step leaves a pending settlement that resolve() finishes from the chain and the exchange; the fees are the
fee payer's measured balance change."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from solders.pubkey import Pubkey

from smartpay_rewards.chain.ports import ClusterError
from smartpay_rewards.exchange.cex import client_order_id
from smartpay_rewards.exchange.cex_venue import CexVenue
from smartpay_rewards.exchange.collect import COLLECT_MEMO, Treasury
from smartpay_rewards.exchange.ports import Redeemer, Settlement
from smartpay_rewards.testing import approve_delegate

from .conftest import SEED_POINTS
from .recorded_http import DEPTH, INFO, ORDER, TIMEOUT, RecordedBinance, recorded_exchange

ORDERED = [INFO, DEPTH, DEPTH]  # the quote reads the markets and the book; the settlement the book again
POINTS = 2_000                  # 20 USDT at 0.01: above Binance's 5 USDT minimum, within the customer's 5,000


@dataclass
class Rig:
    venue: CexVenue
    transport: RecordedBinance
    wallet: Pubkey
    payer: Pubkey

    @property
    def cluster(self):
        return self.venue.treasury.cluster

    def holdings(self) -> tuple[int, int]:
        """(the customer's points, the treasury's points)."""
        points = self.venue.treasury.points
        return points.balance(self.wallet), points.balance(self.venue.treasury.authority.pubkey())

    def lamports(self) -> int:
        return self.cluster.account(self.payer).lamports

    def redeem(self, *steps, script=ORDERED):
        self.transport.script.extend([*script, *steps])
        quote = self.venue.quote(POINTS, "SOL")
        return quote, self.venue.settle(quote, Redeemer(str(self.wallet)))

    def orders(self) -> int:
        return [path for _, path, _ in self.transport.requests].count(ORDER)


@pytest.fixture
def rig(chain, pool, customer, clock):
    cluster, points, payer = chain
    approve_delegate(points, customer, pool.authority.pubkey(), POINTS)
    exchange, transport = recorded_exchange([], clock)
    return Rig(CexVenue(exchange, Treasury(points, pool.authority, payer), clock=clock), transport, customer.pubkey(),
               payer.pubkey())


def unreachable(signature):
    raise ClusterError("rpc down", retriable=True)


def test_collected_then_filled(rig):
    before = rig.lamports()
    quote, s = rig.redeem(("POST", ORDER, "order_filled"))
    assert (s.status, s.points_in, s.reference) == ("settled", POINTS, client_order_id(quote.id))
    assert s.amount_out == 140_000_000  # 20 USDT at 142.00 is 0.1408 SOL: the lot step makes it 0.140
    assert rig.holdings() == (5_000 - POINTS, SEED_POINTS + POINTS)
    collect = s.detail.split()[3].rstrip(";")
    assert rig.cluster.signature_status(collect) == "landed"
    assert s.fee_lamports == before - rig.lamports() == 10_000  # one transaction, two signatures


def test_a_refused_order_gives_the_points_back(rig):
    before = rig.lamports()
    _, s = rig.redeem(("POST", ORDER, "order_expired"))  # the fill-or-kill found too little at its price
    assert (s.status, s.reason, s.points_in) == ("refused", "slippage", 0)
    assert rig.holdings() == (5_000, SEED_POINTS)
    assert rig.cluster.signature_status(s.reference) == "landed"  # the return transfer
    assert s.fee_lamports == before - rig.lamports() == 20_000  # collected and given back


def test_nothing_moves_without_the_wallets_approval(chain, pool, customer, clock):
    cluster, points, payer = chain
    exchange, transport = recorded_exchange([*ORDERED[:2]], clock)
    v = CexVenue(exchange, Treasury(points, pool.authority, payer), clock=clock)
    before = cluster.account(payer.pubkey()).lamports
    s = v.settle(v.quote(POINTS, "SOL"), Redeemer(str(customer.pubkey())))
    assert (s.status, s.reason) == ("refused", "rejected") and "approved" in s.detail
    assert points.balance(customer.pubkey()) == 5_000 and cluster.account(payer.pubkey()).lamports == before
    assert transport.script == []  # no second book, no order


def test_an_expired_quote_moves_nothing(rig, clock):
    rig.transport.script.extend(ORDERED[:2])
    quote = rig.venue.quote(POINTS, "SOL")
    clock.now = quote.expires_at
    s = rig.venue.settle(quote, Redeemer(str(rig.wallet)))
    assert (s.status, s.reason) == ("refused", "expired") and rig.holdings() == (5_000, SEED_POINTS)
    assert rig.orders() == 0


def test_a_collection_whose_reply_was_lost_is_pending_then_given_back(rig):
    cluster = rig.cluster
    send, status = cluster.send, cluster.signature_status

    def landed_reply_lost(tx):
        send(tx)
        raise ClusterError("timeout", retriable=True, outcome_unknown=True)

    cluster.send, cluster.signature_status = landed_reply_lost, unreachable
    _, s = rig.redeem(script=ORDERED[:2])
    cluster.send, cluster.signature_status = send, status
    assert s.status == "pending" and "stage=collect" in s.detail and rig.orders() == 0  # no order on a doubt
    assert rig.holdings() == (5_000 - POINTS, SEED_POINTS + POINTS)  # it landed: held in the treasury
    resolved = rig.venue.resolve(s)
    assert (resolved.status, resolved.reason) == ("refused", "cancelled")
    assert rig.holdings() == (5_000, SEED_POINTS) and rig.orders() == 0
    assert resolved.fee_lamports == 20_000  # the collection, found landed, and the return


def test_a_collection_that_never_landed_is_cancelled_once_its_blockhash_expired(rig):
    cluster = rig.cluster

    def lost_before_the_chain(tx):
        raise ClusterError("connection reset", retriable=True, outcome_unknown=True)

    send, cluster.send = cluster.send, lost_before_the_chain
    _, s = rig.redeem(script=ORDERED[:2])
    cluster.send = send
    assert s.status == "pending" and rig.holdings() == (5_000, SEED_POINTS)
    assert rig.venue.resolve(s) == s  # its blockhash can still land: nothing decided yet
    cluster.svm.expire_blockhash()
    resolved = rig.venue.resolve(s)
    assert (resolved.status, resolved.reason, resolved.fee_lamports) == ("refused", "cancelled", 0)
    assert rig.holdings() == (5_000, SEED_POINTS)


def test_a_lost_give_back_is_pending_then_found_landed(rig):
    cluster = rig.cluster
    send, status = cluster.send, cluster.signature_status

    def return_reply_lost(tx):
        send(tx)
        if not bytes(tx.message.instructions[-1].data).decode().startswith(COLLECT_MEMO):  # the memo
            raise ClusterError("timeout", retriable=True, outcome_unknown=True)
        return str(tx.signatures[0])

    cluster.send, cluster.signature_status = return_reply_lost, unreachable
    _, s = rig.redeem(("POST", ORDER, "error_insufficient_balance"))
    cluster.send, cluster.signature_status = send, status
    assert s.status == "pending" and "stage=return" in s.detail and "reason=insufficient_liquidity" in s.detail
    resolved = rig.venue.resolve(s)
    assert (resolved.status, resolved.reason) == ("refused", "insufficient_liquidity")
    assert rig.holdings() == (5_000, SEED_POINTS) and resolved.fee_lamports == 20_000


def test_a_give_back_that_could_not_be_sent_is_sent_by_resolve(rig):
    cluster = rig.cluster
    blockhash, calls = cluster.latest_blockhash, []

    def down_after_the_collection():
        calls.append(1)
        if len(calls) > 1:
            raise ClusterError("rpc down", retriable=True)
        return blockhash()

    cluster.latest_blockhash = down_after_the_collection
    _, s = rig.redeem(("POST", ORDER, "error_rate_limit"))
    cluster.latest_blockhash = blockhash
    assert s.status == "pending" and "return=none" in s.detail
    assert rig.holdings() == (5_000 - POINTS, SEED_POINTS + POINTS)
    resolved = rig.venue.resolve(s)
    assert (resolved.status, resolved.reason) == ("refused", "unavailable")
    assert rig.holdings() == (5_000, SEED_POINTS)


def test_an_order_that_raised_after_the_collection_is_looked_up_never_reversed(rig, monkeypatch):
    def broken(quote, redeemer):
        raise RuntimeError("an order in a state nobody expected")

    monkeypatch.setattr(rig.venue.exchange, "settle", broken)
    quote, s = rig.redeem(script=ORDERED[:2])
    monkeypatch.undo()
    assert (s.status, s.reference) == ("pending", client_order_id(quote.id)) and "stage=order" in s.detail
    assert rig.holdings() == (5_000 - POINTS, SEED_POINTS + POINTS)
    rig.transport.script.append(("GET", ORDER, "query_order_filled"))
    resolved = rig.venue.resolve(s)
    assert resolved.status == "settled" and resolved.reference == client_order_id(quote.id)
    assert rig.transport.requests[-1][2]["origClientOrderId"] == client_order_id(quote.id)


def test_a_timeout_on_the_order_is_resolved_by_its_client_order_id(rig):
    quote, s = rig.redeem(("POST", ORDER, TIMEOUT), ("GET", ORDER, "query_order_filled"))
    assert s.status == "settled" and rig.transport.requests[-1][2]["origClientOrderId"] == client_order_id(quote.id)


def test_resolve_leaves_another_venues_settlement_alone(rig):
    pool_pending = Settlement("q1", "pending", None, 10, 5, str(Pubkey.default()), 15_000, "")
    assert rig.venue.resolve(pool_pending) is pool_pending
