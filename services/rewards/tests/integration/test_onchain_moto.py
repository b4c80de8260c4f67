"""The ledger as the mint journal, the wallet store and the redemption store in DynamoDB (a private moto server),
keys from Secrets Manager, the chain a real Solana VM (LiteSVM): a crash after send recovered by the next run
(no double mint), a refused redemption reversed, the lease, all read back from the tables; and the API routes
with the merchant from the token (another merchant's customer is a 404) and RFC 9457 errors."""

from __future__ import annotations

import json

import pytest
from solders.keypair import Keypair

from smartpay_rewards import bootstrap
from smartpay_rewards.adapters.dynamodb import DynamoUnitOfWork
from smartpay_rewards.chain.cluster import LiteSvmCluster
from smartpay_rewards.chain.reconcile import read_chain
from smartpay_rewards.chain.secrets import SecretsManagerSource
from smartpay_rewards.config import RewardsSettings
from smartpay_rewards.domain.model import Capture, EntryKind
from smartpay_rewards.domain.points import EarnRates
from smartpay_rewards.service_layer import ledger, onchain
from smartpay_rewards.service_layer.chain_setup import ensure_chain
from smartpay_rewards.testing import approve_delegate, call, create_tables, link_wallet_call

pytestmark = pytest.mark.integration
NOW_EVENT = "2026-12-06T12:00:00+00:00"


@pytest.fixture
def stack(aws, monkeypatch):
    from datetime import datetime

    ddb, sm = aws("dynamodb"), aws("secretsmanager")
    create_tables(ddb)
    settings = RewardsSettings()
    for secret_id in (settings.mint_authority_secret_id, settings.fee_payer_secret_id,
                      settings.pool_authority_secret_id):
        sm.create_secret(Name=secret_id)  # as Terraform creates them: no value yet
    cluster = LiteSvmCluster()
    uow = lambda: DynamoUnitOfWork(ddb, settings.ledger_table, settings.accounts_table, settings.mint_journal_table)
    report = ensure_chain(uow, sm, cluster, settings, seed_points=1_000_000, seed_lamports=10 * 10**9)
    assert report.created
    again = ensure_chain(uow, sm, cluster, settings, seed_points=1_000_000, seed_lamports=10 * 10**9)
    assert not again.created and again.mint == report.mint  # idempotent
    rewards = bootstrap.build(settings, dynamodb=ddb, secrets=SecretsManagerSource(sm), cluster=cluster)
    monkeypatch.setattr(bootstrap, "service", lambda: rewards)
    at = datetime.fromisoformat(NOW_EVENT)

    def capture(customer, amount, payment, merchant="m_acme"):
        ledger.apply_captured(Capture(merchant, customer, payment, f"evt_{payment}", "USD", amount, at), rewards.uow,
                              EarnRates("1", {}))

    return rewards, capture, ddb


def account(rewards, customer, merchant="m_acme"):
    with rewards.uow() as u:
        return u.account(merchant, customer)


def test_crash_after_send_recovered_from_the_dynamodb_journal(stack):
    rewards, capture, ddb = stack
    wallet = Keypair()
    capture("cus_1", 5000, "pay_1")
    status, body = link_wallet_call("cus_1", wallet)
    assert status == 200 and body["wallet"] == str(wallet.pubkey())
    chain = rewards.chain()
    send = chain.cluster.send

    def land_then_crash(tx):
        send(tx)
        raise SystemExit("killed")

    chain.cluster.send = land_then_crash
    with pytest.raises(SystemExit):
        onchain.mint_run(rewards.uow, chain.minter)
    chain.cluster.send = send
    journal = ddb.scan(TableName=rewards.settings.mint_journal_table)["Items"]
    assert [i["status"]["S"] for i in journal] == ["pending"]
    assert chain.points.balance(wallet.pubkey()) == 50 and account(rewards, "cus_1").minted == 0
    run = onchain.mint_run(rewards.uow, chain.minter)
    assert [r.status for r in run.recovered] == ["minted"] and run.results == []
    assert account(rewards, "cus_1").minted == 50 and chain.points.balance(wallet.pubkey()) == 50
    journal = ddb.scan(TableName=rewards.settings.mint_journal_table)["Items"]
    assert [i["status"]["S"] for i in journal] == ["minted"]
    report = onchain.reconcile(rewards.uow, lambda ws: read_chain(chain.points, ws))
    assert report.ok, report
    with rewards.uow() as u:
        kinds = [e.kind for e in u.history("m_acme", "cus_1", limit=10)]
    assert kinds.count(EntryKind.MINTED) == 1


def test_a_second_run_is_held_off_by_the_lease(stack):
    rewards, capture, _ = stack
    with rewards.uow() as u:
        assert u.acquire_lease(onchain.MINT_LEASE, "a", 2e9, 1e9)
        assert not u.acquire_lease(onchain.MINT_LEASE, "b", 2e9, 1e9)
        assert u.acquire_lease(onchain.MINT_LEASE, "b", 3e9, 2.5e9)   # expired: taken over
        u.release_lease(onchain.MINT_LEASE, "a")                       # not a's any more: kept
        assert not u.acquire_lease(onchain.MINT_LEASE, "c", 3e9, 2.6e9)


def test_a_pending_batch_is_fenced_on_the_lease_and_extends_it(stack):
    from smartpay_rewards.chain.ports import MintOrder, PendingBatch
    from smartpay_rewards.service_layer.ports import LeaseClaim, LeaseLost

    rewards, _, ddb = stack
    orders = (MintOrder("m_acme", "cus_1", str(Keypair().pubkey()), 5),)
    with rewards.uow() as u:
        assert u.acquire_lease(onchain.MINT_LEASE, "a", 1e9 + 60, 1e9)
        u.put_pending_batch(PendingBatch("b-0", orders, "sig0", "hash0"), LeaseClaim(onchain.MINT_LEASE, "a", 1e9 + 90))
        assert not u.acquire_lease(onchain.MINT_LEASE, "b", 1e9 + 200, 1e9 + 80)   # extended: still a's
        assert u.acquire_lease(onchain.MINT_LEASE, "b", 1e9 + 200, 1e9 + 95)       # expired: taken over
        with pytest.raises(LeaseLost):
            u.put_pending_batch(PendingBatch("b-1", orders, "sig1", "hash1"),
                                LeaseClaim(onchain.MINT_LEASE, "a", 1e9 + 150))
        assert [p.batch_id for p in u.pending_batches()] == ["b-0"]                # b-1 not written
        assert not u.acquire_lease(onchain.MINT_LEASE, "c", 1e9 + 300, 1e9 + 199)  # b's lease untouched
        u.put_pending_batch(PendingBatch("b-1", orders, "sig1", "hash1"))         # unfenced: as before
    assert {i["batch_id"]["S"] for i in ddb.scan(TableName=rewards.settings.mint_journal_table)["Items"]} == \
        {"b-0", "b-1"}


def test_redeem_route_settles_and_refuses_with_reversal(stack):
    rewards, capture, ddb = stack
    wallet = Keypair()
    capture("cus_1", 100_000, "pay_1")
    assert link_wallet_call("cus_1", wallet)[0] == 200
    chain = rewards.chain()
    onchain.mint_run(rewards.uow, chain.minter)
    path, resource, params = "/rewards/cus_1/redeem", "/rewards/{customer_id}/redeem", {"customer_id": "cus_1"}

    status, body = call("POST", path, resource=resource, params=params, body={"points": 300, "asset": "SOL"})
    assert status == 200 and body["status"] == "refused" and body["reason"] == "rejected"  # not approved yet
    assert account(rewards, "cus_1").balance == 1000

    chain.cluster.airdrop(wallet.pubkey(), 10**8)
    p = chain.points
    approve_delegate(p, wallet, chain.pool_authority, 300)
    status, body = call("POST", path, resource=resource, params=params,
                        body={"points": 300, "asset": "SOL", "slippage_bps": 100})
    assert status == 200 and body["status"] == "settled" and body["amount_out"] > 0, body
    assert account(rewards, "cus_1").balance == 700 and p.balance(wallet.pubkey()) == 700
    assert onchain.reconcile(rewards.uow, lambda ws: read_chain(p, ws)).ok
    stored = ddb.scan(TableName=rewards.settings.accounts_table, FilterExpression="sk = :r",
                      ExpressionAttributeValues={":r": {"S": "redemption"}})["Items"]
    assert sorted(i["status"]["S"] for i in stored) == ["refused", "settled"]


@pytest.mark.parametrize("body, field", [
    ({"points": 0, "asset": "SOL"}, "points"),
    ({"points": 10, "asset": "DOGE"}, "asset"),
    ({"points": 10, "asset": "SOL", "slippage_bps": 9000}, "slippage_bps"),
    ({"points": 10, "asset": "SOL", "merchant_id": "m_other"}, "merchant_id"),
])
def test_redeem_validates_the_body_field_by_field(stack, body, field):
    rewards, capture, _ = stack
    capture("cus_1", 100_000, "pay_1")
    status, problem = call("POST", "/rewards/cus_1/redeem", resource="/rewards/{customer_id}/redeem",
                           params={"customer_id": "cus_1"}, body=body)
    assert status == 422 and field in json.dumps(problem), problem
    assert account(rewards, "cus_1").seq == 1


def test_the_routes_are_scoped_to_the_token_merchant(stack):
    rewards, capture, _ = stack
    capture("cus_1", 100_000, "pay_1", merchant="m_acme")
    wallet = Keypair()
    for merchant in ("m_other",):
        status, problem = call("POST", "/rewards/cus_1/wallet/challenge", merchant=merchant,
                               resource="/rewards/{customer_id}/wallet/challenge", params={"customer_id": "cus_1"},
                               body={"wallet": str(wallet.pubkey())})
        assert status == 404 and problem["status"] == 404
        status, _ = call("POST", "/rewards/cus_1/redeem", merchant=merchant, resource="/rewards/{customer_id}/redeem",
                         params={"customer_id": "cus_1"}, body={"points": 1, "asset": "SOL"})
        assert status == 404
    # a challenge of m_acme is unknown to m_other even with a valid signature
    status, body = call("POST", "/rewards/cus_1/wallet/challenge", resource="/rewards/{customer_id}/wallet/challenge",
                        params={"customer_id": "cus_1"}, body={"wallet": str(wallet.pubkey())})
    signature = str(wallet.sign_message(body["message"].encode()))
    capture("cus_1", 100, "pay_o", merchant="m_other")
    status, problem = call("POST", "/rewards/cus_1/wallet", merchant="m_other", resource="/rewards/{customer_id}/wallet",
                           params={"customer_id": "cus_1"}, body={"nonce": body["nonce"], "signature": signature})
    assert status == 422 and "unknown_challenge" in json.dumps(problem)
    status, problem = call("POST", "/rewards/cus_1/wallet/challenge",
                           resource="/rewards/{customer_id}/wallet/challenge", params={"customer_id": "cus_1"},
                           body={"wallet": "not-a-wallet"})
    assert status == 422 and "invalid_wallet" in json.dumps(problem)
    status, problem = call("POST", "/rewards/cus_1/redeem", resource="/rewards/{customer_id}/redeem",
                           params={"customer_id": "cus_1"}, body={"points": 1, "asset": "SOL"})
    assert status == 409 and "wallet" in problem["detail"]


def test_a_lost_settlement_reply_is_pending_in_dynamodb_then_resolved(stack):
    from smartpay_rewards.chain.ports import ClusterError
    from smartpay_rewards.service_layer import redeem

    rewards, capture, _ = stack
    wallet = Keypair()
    capture("cus_1", 100_000, "pay_1")
    assert link_wallet_call("cus_1", wallet)[0] == 200
    chain = rewards.chain()
    onchain.mint_run(rewards.uow, chain.minter)
    chain.cluster.airdrop(wallet.pubkey(), 10**8)
    p = chain.points
    approve_delegate(p, wallet, chain.pool_authority, 250)
    send, status = chain.cluster.send, chain.cluster.signature_status

    def landed_reply_lost(tx):
        send(tx)
        raise ClusterError("timeout", retriable=True, outcome_unknown=True)

    def unreachable(signature):
        raise ClusterError("rpc down", retriable=True)

    chain.cluster.send, chain.cluster.signature_status = landed_reply_lost, unreachable
    done = redeem.redeem("m_acme", "cus_1", redeem.RedeemRequest(250, "SOL"), rewards.uow, chain.exchange)
    chain.cluster.send, chain.cluster.signature_status = send, status
    assert done.status == "pending"
    with rewards.uow() as u:
        assert [r.redemption_id for r in u.open_redemptions()] == [done.redemption_id]
    report = onchain.reconcile(rewards.uow, lambda ws: read_chain(p, ws))
    assert report.ok  # the transaction landed: the ledger's reservation already matches the chain
    [(before, after)] = redeem.resolve_open(rewards.uow, chain.exchange)
    assert (before.status, after.status) == ("pending", "settled")
    with rewards.uow() as u:
        assert u.open_redemptions() == [] and u.redemption("m_acme", done.redemption_id).status == "settled"
    assert account(rewards, "cus_1").balance == 750 and p.balance(wallet.pubkey()) == 750


def test_chain_setup_never_replaces_an_existing_key(aws):
    from smartpay_rewards.service_layer.chain_setup import ChainSetupError, ensure_secret

    sm = aws("secretsmanager")
    sm.create_secret(Name="empty")
    assert ensure_secret(sm, "empty") == "generated"
    kept = sm.get_secret_value(SecretId="empty")["SecretString"]
    assert ensure_secret(sm, "empty") == "kept" and sm.get_secret_value(SecretId="empty")["SecretString"] == kept
    assert ensure_secret(sm, "absent") == "generated"  # no secret at all (outside Terraform): created
    sm.create_secret(Name="bad", SecretString=json.dumps({"secret_key": "not-a-key"}))
    with pytest.raises(ChainSetupError) as refused:
        ensure_secret(sm, "bad")
    assert "bad" in str(refused.value) and "not-a-key" not in str(refused.value)
    assert json.loads(sm.get_secret_value(SecretId="bad")["SecretString"]) == {"secret_key": "not-a-key"}
