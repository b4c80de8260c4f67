"""Solana connector on a real LiteSVM: signed SOL and SPL-token transfers customer -> merchant, rent,
the on-chain receipt that makes a repeated charge impossible, refunds, and the balance ledger check."""

import uuid

import pytest

from smartpay_payment.domain.charges import ChargeRequest, GatewayError
from smartpay_payment.adapters.gateways.solana_cluster import LiteSvmCluster
from smartpay_payment.adapters.gateways.solana_gateway import SandboxWallets, SolanaGateway

pytestmark = pytest.mark.integration
RENT = 890_880


@pytest.fixture
def gateway():
    cluster = LiteSvmCluster()
    gw = SolanaGateway(cluster, SandboxWallets(f"test-{uuid.uuid4().hex[:6]}"))
    cluster.airdrop(gw.operator.pubkey(), 10_000_000_000)
    return gw


def request(amount, currency, token="sol_alice", merchant="m_acme"):
    return ChargeRequest(reference=f"pay_{uuid.uuid4().hex[:12]}-1", amount=amount, currency=currency,
                         method_token=token, customer_id="c_1", merchant_id=merchant)


def lamports(gw, pubkey):
    found = gw.cluster.account(pubkey)
    return found.lamports if found else 0


def test_sol_payment_moves_exactly_the_amount_once(gateway):
    alice = gateway.wallets.customer("sol_alice").pubkey()
    merchant = gateway.wallets.merchant("m_acme").pubkey()
    gateway.cluster.airdrop(alice, 5_000_000_000)
    req = request(2_000_000, "SOL")
    before_alice, before_merchant = lamports(gateway, alice), lamports(gateway, merchant)
    result = gateway.authorize(req)
    assert result.status == "captured"
    assert gateway.authorize(req).gateway_reference == result.gateway_reference  # redelivery: no transfer
    assert lamports(gateway, alice) == before_alice - 2_000_000  # the operator pays fees and the receipt rent
    assert lamports(gateway, merchant) == before_merchant + 2_000_000
    assert gateway.status(req).status == "captured"
    gateway.refund(result.gateway_reference, 500_000, f"{req.reference}-r1")
    gateway.refund(result.gateway_reference, 500_000, f"{req.reference}-r1")  # repeated: one refund
    assert lamports(gateway, alice) == before_alice - 1_500_000


def test_first_transfer_to_a_new_merchant_must_cover_rent(gateway):
    gateway.cluster.airdrop(gateway.wallets.customer("sol_bob").pubkey(), 5_000_000_000)
    with pytest.raises(GatewayError) as info:
        gateway.authorize(request(RENT - 1, "SOL", token="sol_bob", merchant="m_new"))
    assert info.value.code == "transaction_failed" and not info.value.retriable
    assert gateway.authorize(request(RENT, "SOL", token="sol_bob", merchant="m_new")).status == "captured"


def test_usd_is_paid_in_the_spl_token(gateway):
    alice = gateway.wallets.customer("sol_carol").pubkey()
    merchant = gateway.wallets.merchant("m_acme").pubkey()
    gateway.fund_token(alice, 100_000_000)  # 100 tokens (6 decimals)
    req = request(1250, "USD", token="sol_carol")  # $12.50 -> 12.5 tokens
    result = gateway.authorize(req)
    assert gateway.token_balance(alice) == 100_000_000 - 12_500_000
    assert gateway.token_balance(merchant) == 12_500_000
    gateway.refund(result.gateway_reference, 250, f"{req.reference}-r1")
    assert gateway.token_balance(merchant) == 12_500_000 - 2_500_000


def test_insufficient_funds_is_a_decline_and_void_is_refused(gateway):
    with pytest.raises(GatewayError) as info:
        gateway.authorize(request(10_000, "SOL", token="sol_empty"))
    assert info.value.declined and info.value.code == "insufficient_funds"
    with pytest.raises(GatewayError, match="void_unsupported"):
        gateway.void("sol:sol:x:y:z", "r")
    assert gateway.status(request(10_000, "SOL", token="sol_empty")) is None
