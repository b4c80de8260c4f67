"""`smartpay payment ...` commands the local stack runs, against the real Solana RPC sandbox process."""

import pytest
from solders.keypair import Keypair
from typer.testing import CliRunner

from smartpay_payment.adapters.gateways.solana_cluster import RpcCluster
from smartpay_payment.adapters.gateways.solana_gateway import SandboxWallets, SolanaGateway
from smartpay_payment.config import payment_settings
from smartpay_payment.entrypoints.cli import app
from smartpay_payment.testing.servers import SolanaRpcSandbox

pytestmark = pytest.mark.integration


@pytest.fixture
def rpc(monkeypatch):
    with SolanaRpcSandbox() as server:
        monkeypatch.setenv("PAYMENT_SOLANA_RPC_URL", server.url)
        monkeypatch.setenv("PAYMENT_SOLANA_WALLET_NAMESPACE", "cli-test")
        server.fee_payer = Keypair()  # an explicit (tests-only) fee payer instead of the Secrets Manager one
        monkeypatch.setenv("PAYMENT_SOLANA_FEE_PAYER_KEY", str(server.fee_payer))
        payment_settings.cache_clear()
        yield server
        payment_settings.cache_clear()


def test_fund_operator_then_a_wallet(rpc):
    runner = CliRunner()
    result = runner.invoke(app, ["fund-operator", "--sol", "5"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["fund-wallet", "sol_erin", "--sol", "1", "--usd", "25"])
    assert result.exit_code == 0, result.output
    gateway = SolanaGateway(RpcCluster(rpc.url), SandboxWallets("cli-test"), operator=rpc.fee_payer)
    owner = gateway.wallets.customer("sol_erin").pubkey()
    assert gateway.token_balance(owner) == 25_000_000
    assert gateway.cluster.account(owner).lamports == 10**9
