"""The ccxt venue wired end to end: REWARDS_EXCHANGE_VENUE=ccxt read from the environment, the API key read from
Secrets Manager (a private moto server) by bootstrap, the ledger in DynamoDB, the points on a real Solana VM
(LiteSVM), ccxt's own HTTP layer answered from the recorded Binance responses; every redemption through the API
handler. After each one, failed and timed-out ones included, the ledger and the chain agree and no point is
lost; the API key reaches the exchange and nothing else (responses, logs, tables)."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime

import pytest
from solders.keypair import Keypair

from smartpay_rewards import bootstrap
from smartpay_rewards.adapters.dynamodb import DynamoUnitOfWork
from smartpay_rewards.chain.cluster import LiteSvmCluster
from smartpay_rewards.chain.reconcile import read_chain
from smartpay_rewards.config import RewardsSettings
from smartpay_rewards.domain.model import Capture, EntryKind
from smartpay_rewards.domain.points import EarnRates
from smartpay_rewards.exchange.cex import client_order_id
from smartpay_rewards.service_layer import ledger, onchain, redeem
from smartpay_rewards.service_layer.chain_setup import ensure_chain
from smartpay_rewards.testing import approve_delegate, create_tables, link_wallet_call, redeem_call

from .recorded_http import DEPTH, INFO, ORDER, TIMEOUT, binance_session, throwaway_key

pytestmark = pytest.mark.integration
API_KEY_SECRET = "smartpay/rewards/exchange-api-key"
SEED = 1_000_000
EARNED = 12_000      # 12,000.00 USD captured at rate 1
POINTS = 10_000      # 100 USDT at 0.01 a point
ORDERED = [DEPTH, DEPTH]  # the quote's book and the settlement's (the markets are read once per cold start)


@pytest.fixture
def wired(aws, monkeypatch):
    ddb, sm = aws("dynamodb"), aws("secretsmanager")
    create_tables(ddb)
    key = throwaway_key()
    sm.create_secret(Name=API_KEY_SECRET)  # as Terraform creates it, then the operator's put-secret-value:
    sm.put_secret_value(SecretId=API_KEY_SECRET, SecretString=json.dumps({"api_key": key.key, "secret": key.secret}))
    monkeypatch.setenv("REWARDS_EXCHANGE_VENUE", "ccxt")
    monkeypatch.setenv("REWARDS_EXCHANGE_API_KEY_SECRET_ID", API_KEY_SECRET)
    settings = RewardsSettings()  # as the function reads its environment
    for secret_id in (settings.mint_authority_secret_id, settings.fee_payer_secret_id,
                      settings.pool_authority_secret_id):
        sm.create_secret(Name=secret_id)
    cluster = LiteSvmCluster()
    uow = lambda: DynamoUnitOfWork(ddb, settings.ledger_table, settings.accounts_table, settings.mint_journal_table)
    ensure_chain(uow, sm, cluster, settings, seed_points=SEED, seed_lamports=10 * 10**9)
    session, transport = binance_session([INFO])
    # No `secrets`: bootstrap reads every key from Secrets Manager itself (AWS_ENDPOINT_URL is the moto server).
    rewards = bootstrap.build(settings, dynamodb=ddb, cluster=cluster, exchange_http=session)
    monkeypatch.setattr(bootstrap, "service", lambda: rewards)
    chain = rewards.chain()
    assert repr(chain.exchange).startswith("CexVenue(CcxtExchange(binance")

    wallet = Keypair()
    ledger.apply_captured(Capture("m_acme", "cus_1", "pay_1", "evt_pay_1", "USD", EARNED * 100,
                                  datetime.fromisoformat("2026-12-06T12:00:00+00:00")), rewards.uow, EarnRates("1", {}))
    assert link_wallet_call("cus_1", wallet)[0] == 200
    onchain.mint_run(rewards.uow, chain.minter)
    cluster.airdrop(wallet.pubkey(), 10**8)
    approve_delegate(chain.points, wallet, chain.pool_authority, EARNED)
    return {"rewards": rewards, "chain": chain, "wallet": wallet.pubkey(), "transport": transport, "key": key,
            "ddb": ddb, "sm": sm}


def state(w) -> dict:
    """The ledger's and the chain's view of the customer, and whether they agree (supply included)."""
    rewards, chain = w["rewards"], w["chain"]
    with rewards.uow() as u:
        a = u.account("m_acme", "cus_1")
        open_ = [r.redemption_id for r in u.open_redemptions()]
    report = onchain.reconcile(rewards.uow, lambda wallets: read_chain(chain.points, wallets))
    return {"balance": a.balance, "redeemed": a.redeemed, "wallet": chain.points.balance(w["wallet"]),
            "treasury": chain.points.balance(chain.pool_authority), "supply": chain.points.supply(),
            "agree": report.ok, "open": open_}


UNTOUCHED = {"balance": EARNED, "redeemed": 0, "wallet": EARNED, "treasury": SEED, "supply": SEED + EARNED,
             "agree": True, "open": []}
REDEEMED = {**UNTOUCHED, "balance": EARNED - POINTS, "redeemed": POINTS, "wallet": EARNED - POINTS,
            "treasury": SEED + POINTS}


def kinds(w) -> list[EntryKind]:
    with w["rewards"].uow() as u:
        return [e.kind for e in reversed(u.history("m_acme", "cus_1", limit=10))]


def test_settled_with_the_key_from_secrets_manager_and_nowhere_else(wired, caplog):
    caplog.set_level(logging.DEBUG)  # a function run with LOG_LEVEL=DEBUG
    wired["transport"].script.extend([*ORDERED, ("POST", ORDER, "order_filled")])
    status, body = redeem_call("cus_1", {"points": POINTS, "asset": "SOL", "slippage_bps": 100})
    assert status == 200 and body["status"] == "settled" and body["venue"] == "ccxt:binance", body
    assert body["amount_out"] == 704_000_000 and body["reference"] == client_order_id(body["redemption_id"])
    assert "points collected in" in body["detail"]
    assert state(wired) == REDEEMED
    key = wired["key"]
    order_headers = wired["transport"].headers[-1]
    assert order_headers["X-MBX-APIKEY"] == key.key  # the secret's key signed the order
    ddb = wired["ddb"]
    stored = json.dumps([ddb.scan(TableName=t)["Items"] for t in ddb.list_tables()["TableNames"]])
    for text in (caplog.text, json.dumps(body), stored):
        assert key.key not in text and key.secret not in text


@pytest.mark.parametrize("fixture, reason", [
    ("error_insufficient_balance", "insufficient_liquidity"),  # -2010: the platform's exchange account is short
    ("error_rate_limit", "unavailable"),                        # HTTP 429
    ("order_expired", "slippage"),                              # the fill-or-kill did not fill
])
def test_a_refusing_exchange_reverses_the_ledger_and_returns_the_points(wired, fixture, reason):
    wired["transport"].script.extend([*ORDERED, ("POST", ORDER, fixture)])
    status, body = redeem_call("cus_1", {"points": POINTS, "asset": "SOL"})
    assert status == 200 and (body["status"], body["reason"]) == ("refused", reason), body
    assert "went back to the wallet" in body["detail"] and body["fee_lamports"] == 20_000
    assert state(wired) == UNTOUCHED
    assert kinds(wired)[-2:] == [EntryKind.REDEEM, EntryKind.REDEEM_REVERSAL]


def test_a_timed_out_order_is_pending_and_agrees_until_resolved_as_filled(wired):
    wired["transport"].script.extend([*ORDERED, ("POST", ORDER, TIMEOUT), ("GET", ORDER, "error_order_not_found")])
    status, body = redeem_call("cus_1", {"points": POINTS, "asset": "SOL"})
    assert status == 200 and body["status"] == "pending", body  # not found yet, within the order's recvWindow
    assert state(wired) == {**REDEEMED, "open": [body["redemption_id"]]}  # held on both sides
    wired["transport"].script.append(("GET", ORDER, "query_order_filled"))
    [(before, after)] = redeem.resolve_open(wired["rewards"].uow, wired["chain"].exchange)
    assert (before.status, after.status, after.amount_out) == ("pending", "settled", 704_000_000)
    assert state(wired) == REDEEMED


def test_an_order_the_exchange_never_received_is_cancelled_and_reversed(wired):
    wired["transport"].script.extend([*ORDERED, ("POST", ORDER, "error_internal"),   # HTTP 503 -1001: unknown
                                      ("GET", ORDER, "error_order_not_found")])
    status, body = redeem_call("cus_1", {"points": POINTS, "asset": "SOL"})
    assert status == 200 and body["status"] == "pending", body
    assert state(wired) == {**REDEEMED, "open": [body["redemption_id"]]}
    wired["chain"].exchange.exchange.clock = lambda: time.time() + 11  # past the order's 10 s recvWindow
    wired["transport"].script.append(("GET", ORDER, "error_order_not_found"))
    [(_, after)] = redeem.resolve_open(wired["rewards"].uow, wired["chain"].exchange)
    assert (after.status, after.reason) == ("refused", "cancelled")
    assert state(wired) == UNTOUCHED
    assert kinds(wired)[-2:] == [EntryKind.REDEEM, EntryKind.REDEEM_REVERSAL]


def test_a_wallet_without_approval_is_refused_before_anything_moves(wired):
    rewards, chain = wired["rewards"], wired["chain"]
    ledger.apply_captured(Capture("m_acme", "cus_2", "pay_2", "evt_pay_2", "USD", EARNED * 100,
                                  datetime.fromisoformat("2026-12-06T12:00:00+00:00")), rewards.uow, EarnRates("1", {}))
    wallet = Keypair()
    assert link_wallet_call("cus_2", wallet)[0] == 200
    onchain.mint_run(rewards.uow, chain.minter)
    wired["transport"].script.append(DEPTH)  # the quote's book only: no settlement book, no order
    status, body = redeem_call("cus_2", {"points": POINTS, "asset": "SOL"})
    assert status == 200 and (body["status"], body["reason"]) == ("refused", "rejected"), body
    assert wired["transport"].script == [] and ORDER not in [path for _, path, _ in wired["transport"].requests]
    assert chain.points.balance(wallet.pubkey()) == EARNED
    with rewards.uow() as u:
        assert (u.account("m_acme", "cus_2").balance, u.account("m_acme", "cus_2").redeemed) == (EARNED, 0)
    assert onchain.reconcile(rewards.uow, lambda wallets: read_chain(chain.points, wallets)).ok


def test_an_api_key_secret_without_a_value_is_a_503_and_writes_nothing(wired, monkeypatch):
    wired["sm"].create_secret(Name="smartpay/rewards/exchange-api-key-unset")  # Terraform's, never put
    settings = RewardsSettings(exchange_api_key_secret_id="smartpay/rewards/exchange-api-key-unset")
    assert settings.exchange_venue == "ccxt"
    rewards = bootstrap.build(settings, dynamodb=wired["ddb"], cluster=wired["chain"].cluster,
                              exchange_http=binance_session([])[0])
    monkeypatch.setattr(bootstrap, "service", lambda: rewards)
    status, problem = redeem_call("cus_1", {"points": POINTS, "asset": "SOL"})
    assert status == 503 and problem["status"] == 503, problem
    assert state(wired) == UNTOUCHED


def test_ccxt_without_its_key_secret_is_refused_at_cold_start(monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("REWARDS_EXCHANGE_VENUE", "ccxt")
    with pytest.raises(ValidationError) as refused:
        RewardsSettings()
    assert "REWARDS_EXCHANGE_API_KEY_SECRET_ID" in str(refused.value)
