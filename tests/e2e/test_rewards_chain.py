"""Rewards on chain end to end on the e2e suite's private stack: the stack's setup ran `smartpay rewards
chain-setup` (keys into the stack's Secrets Manager, the points mint and the pool on payment's Solana
sandbox), its `minter` loop stands in for the scheduled function. A merchant's customer pays (captured ->
points), links a wallet by signing the challenge through the gateway, the minter mints the points into the
wallet, `smartpay rewards reconcile` is clean; the customer approves the pool and redeems through
POST /rewards/{customer_id}/redeem: the SOL arrives, the tokens moved to the pool, reconcile is still clean."""

import json
import subprocess
import time
import uuid

import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from smartpay_payment.testing.local_stack import Emulators, MerchantClient
from smartpay_shared.testing.stack import SMARTPAY, merchant_token, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
PASSWORD = "E2e-rewards-chain-Passw0rd!"
MERCHANT = "m_pinned_stripe"
RUN = uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def stack(shared_stack):
    return shared_stack


@pytest.fixture(scope="module")
def merchant(stack):
    return MerchantClient(stack["gateway_url"], merchant_token(f"rewards-chain-{RUN}@example.com", MERCHANT, PASSWORD,
                                                               stack), Emulators.of(stack))


@pytest.fixture(scope="module")
def deployed(stack):
    """The rewards functions' environment as Terraform deployed it (read back from the stack's emulator)."""
    from smartpay_shared.local.stack import deployed_environments

    envs = deployed_environments(stack["terraform_outputs"], stack["aws_endpoint_url"], stack["region"])
    return envs["rewards"]["minter"]


@pytest.fixture(scope="module")
def chain(stack, deployed, monkeypatch_module):
    """The rewards service's own view of the chain, built from the deployed settings (as the minter is)."""
    from smartpay_shared.config import platform_settings

    from smartpay_rewards import bootstrap
    from smartpay_rewards.config import RewardsSettings
    from smartpay_shared import aws

    for key, value in {**stack["env"], **deployed}.items():
        monkeypatch_module.setenv(key, value)
    platform_settings.cache_clear()
    rewards = bootstrap.build(RewardsSettings(), dynamodb=aws.client("dynamodb"))
    yield rewards.chain()
    platform_settings.cache_clear()


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def cli(stack, deployed, *args):
    return subprocess.run([SMARTPAY, "rewards", *args], env=stack_env(stack, **deployed), capture_output=True,
                          text=True, timeout=180)


def until(fetch, predicate, timeout=120.0, what="condition"):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = fetch()
        if predicate(last):
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what} not reached: {str(last)[:600]}")


def test_link_mint_reconcile_and_redeem_through_the_pool(stack, merchant, deployed, chain):
    from smartpay_rewards.chain import spl
    from smartpay_rewards.chain.points_mint import POINTS_DECIMALS

    assert deployed["REWARDS_SOLANA_RPC_URL"] == stack["env"]["PAYMENT_SOLANA_RPC_URL"]  # the stack's sandbox
    customer = f"cus_chain_{RUN}"
    pay = {"amount": 4999, "currency": "USD", "customer_id": customer, "country": "US",
           "device_id": f"dev_chain_{RUN}", "ip_address": "203.0.113.12",
           "payment_method": {"type": "card", "vault_id": merchant.vault_card(customer)}}
    accepted = merchant.pay(pay)
    assert accepted.status_code == 202, accepted.text
    assert merchant.wait(accepted.json()["payment_id"])["status"] == "indexed"
    url = f"{merchant.url}/rewards/{customer}"
    until(lambda: merchant.http.get(url, timeout=15), lambda r: r.status_code == 200 and r.json()["balance"] == 49,
          what="49 points earned")

    # Link a wallet: the challenge signed by the wallet's key.
    wallet = Keypair()
    issued = merchant.http.post(f"{url}/wallet/challenge", json={"wallet": str(wallet.pubkey())}, timeout=15)
    assert issued.status_code == 201, issued.text
    signature = str(wallet.sign_message(issued.json()["message"].encode()))
    replay_body = {"nonce": issued.json()["nonce"], "signature": signature}
    linked = merchant.http.post(f"{url}/wallet", json=replay_body, timeout=15)
    assert linked.status_code == 200 and linked.json()["wallet"] == str(wallet.pubkey()), linked.text
    replay = merchant.http.post(f"{url}/wallet", json=replay_body, timeout=15)
    assert replay.status_code == 422 and "already_used" in replay.text

    # The minter loop mints the 49 points into the wallet and marks them in the ledger.
    body = until(lambda: merchant.http.get(url, timeout=15).json(), lambda b: b["totals"]["minted"] == 49,
                 what="49 points minted")
    assert body["balance"] == 49 and body["history"][0]["kind"] == "minted"
    assert chain.points.balance(wallet.pubkey()) == 49
    clean = cli(stack, deployed, "reconcile", "--json")
    assert clean.returncode == 0 and json.loads(clean.stdout)["ok"], clean.stdout + clean.stderr

    # Redeem 20 points through the pool: the wallet approves the pool authority, then the API settles.
    chain.cluster.airdrop(wallet.pubkey(), 10**8)
    until(lambda: chain.cluster.account(wallet.pubkey()), lambda a: a is not None, what="the airdrop")
    p = chain.points
    approve = spl.approve_checked(p.token_account(wallet.pubkey()), p.address, chain.pool_authority, wallet.pubkey(),
                                  20, POINTS_DECIMALS, p.token_program)
    chain.cluster.send(VersionedTransaction(MessageV0.try_compile(wallet.pubkey(), [approve], [],
                                                                  chain.cluster.latest_blockhash()), [wallet]))
    lamports = chain.cluster.account(wallet.pubkey()).lamports
    redeemed = merchant.http.post(f"{url}/redeem", json={"points": 20, "asset": "SOL", "slippage_bps": 200},
                                  timeout=60)
    assert redeemed.status_code == 200, redeemed.text
    done = redeemed.json()
    assert done["status"] == "settled" and done["amount_out"] >= done["min_out"] > 0, done
    assert chain.cluster.account(wallet.pubkey()).lamports == lamports + done["amount_out"]
    assert chain.points.balance(wallet.pubkey()) == 29
    after = merchant.http.get(url, timeout=15).json()
    assert after["balance"] == 29 and after["totals"]["redeemed"] == 20
    clean = cli(stack, deployed, "reconcile", "--json")
    assert clean.returncode == 0 and json.loads(clean.stdout)["ok"], clean.stdout + clean.stderr

    # A second redemption beyond the approval is refused on chain and reversed in the ledger: still agreeing.
    refused = merchant.http.post(f"{url}/redeem", json={"points": 5, "asset": "SOL"}, timeout=60).json()
    assert refused["status"] == "refused" and refused["reason"] == "rejected"
    assert merchant.http.get(url, timeout=15).json()["balance"] == 29
    assert cli(stack, deployed, "reconcile").returncode == 0
    assert Pubkey.from_string(done["wallet"]) == wallet.pubkey()
