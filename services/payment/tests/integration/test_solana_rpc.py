"""The RPC-backed Solana connector over real HTTP JSON-RPC, against the LiteSVM RPC sandbox process:
same interface, same on-chain receipt, same ledger as the in-process cluster."""

import uuid

import pytest

from smartpay_payment.domain.charges import ChargeRequest, GatewayError
from smartpay_payment.adapters.gateways.solana_cluster import ClusterError, RpcCluster
from smartpay_payment.adapters.gateways.solana_gateway import SandboxWallets, SolanaGateway
from smartpay_payment.testing.servers import SolanaRpcSandbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rpc():
    with SolanaRpcSandbox() as server:
        yield server


@pytest.fixture
def gateway(rpc):
    cluster = RpcCluster(rpc.url, timeout_seconds=5)
    gw = SolanaGateway(cluster, SandboxWallets(f"rpc-{uuid.uuid4().hex[:6]}"))
    cluster.airdrop(gw.operator.pubkey(), 10 * 10**9)
    return gw


def request(amount, currency, token):
    return ChargeRequest(reference=f"pay_{uuid.uuid4().hex[:12]}-1", amount=amount, currency=currency,
                         method_token=token, customer_id="c", merchant_id="m_rpc")


def test_sol_and_token_payments_over_rpc(gateway):
    customer = gateway.wallets.customer("sol_dave").pubkey()
    merchant = gateway.wallets.merchant("m_rpc").pubkey()
    gateway.cluster.airdrop(customer, 3 * 10**9)
    req = request(1_000_000, "SOL", "sol_dave")
    result = gateway.authorize(req)
    assert gateway.authorize(req).gateway_reference == result.gateway_reference  # no second transfer
    assert gateway.cluster.account(customer).lamports == 3 * 10**9 - 1_000_000
    assert gateway.cluster.account(merchant).lamports == 1_000_000
    gateway.fund_token(customer, 50_000_000)
    token_req = request(1000, "USD", "sol_dave")
    paid = gateway.authorize(token_req)
    gateway.refund(paid.gateway_reference, 400, f"{token_req.reference}-r1")
    assert gateway.token_balance(merchant) == 6_000_000
    assert gateway.status(token_req).status == "captured"


def test_rpc_errors_are_mapped(gateway, rpc):
    with pytest.raises(GatewayError) as info:
        gateway.authorize(request(10, "SOL", "sol_nobody"))
    assert info.value.code == "insufficient_funds"
    with pytest.raises(ClusterError) as down:
        RpcCluster("http://127.0.0.1:9", timeout_seconds=1).latest_blockhash()
    assert down.value.retriable
