"""`smartpay rewards chain-setup`: the platform's keys and the points on a chain, once per deployment.

1. The three keys (mint authority, fee payer, pool authority): Terraform creates the secrets without a value;
   a secret with no value gets a generated keypair (never printed or logged; an existing valid one is kept).
2. The fee payer is funded by an airdrop when it runs low (the local sandbox or devnet only).
3. The points mint and the exchange pool (durable nonce, SOL reserve, `seed_points` minted into the pool as
   the platform's liquidity) are created once; where they are is written to the ledger (ChainSetup), which
   the services read at cold start. An existing setup is checked against the chain, never replaced: a ledger
   whose mint is gone from the chain is an error (the ledger's MINTED markers would no longer mean anything)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from smartpay_rewards.chain.points_mint import PointsMint
from smartpay_rewards.chain.ports import ChainCluster
from smartpay_rewards.chain.secrets import SecretsManagerSource, keypair_secret
from smartpay_rewards.config import RewardsSettings
from smartpay_rewards.domain.model import ChainSetup
from smartpay_rewards.exchange.pool import ConstantProductPool
from smartpay_rewards.service_layer.ports import AbstractUnitOfWork

log = logging.getLogger(__name__)
FEE_PAYER_FLOOR = 10 * 10**9  # lamports: below this the fee payer is topped up


class ChainSetupError(RuntimeError):
    pass


@dataclass(frozen=True)
class SetupReport:
    created: bool
    mint: str
    pool_authority: str
    secrets: dict[str, str]   # secret id -> "generated" | "kept" (never a value)
    funded_lamports: int


def ensure_secret(client: Any, secret_id: str) -> str:
    """A keypair in `secret_id`: kept when it holds one; generated and put ONLY when the secret has no value
    (Terraform creates it empty). Anything else (a malformed value, access denied) is an error: replacing an
    existing key would orphan the mint it controls."""
    from botocore.exceptions import ClientError

    from smartpay_rewards.chain.secrets import SecretError

    try:
        client.get_secret_value(SecretId=secret_id)
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFoundException":
            raise ChainSetupError(f"secret {secret_id} cannot be read: {e.response['Error']['Code']}") from None
    else:
        try:
            SecretsManagerSource(client).keypair(secret_id)
        except SecretError as e:
            raise ChainSetupError(str(e)) from None  # names the secret and the problem, never the value
        return "kept"
    value = json.dumps(keypair_secret(Keypair()))
    try:
        client.put_secret_value(SecretId=secret_id, SecretString=value)
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFoundException":
            raise ChainSetupError(f"secret {secret_id}: {e.response['Error']['Code']}") from None
        client.create_secret(Name=secret_id, SecretString=value)
    return "generated"


def ensure_chain(uow_factory: Callable[[], AbstractUnitOfWork], secretsmanager: Any, cluster: ChainCluster,
                 settings: RewardsSettings, *, seed_points: int = 1_000_000, seed_lamports: int = 100 * 10**9,
                 fund_lamports: int = 1_000 * 10**9) -> SetupReport:
    ids = (settings.mint_authority_secret_id, settings.fee_payer_secret_id, settings.pool_authority_secret_id)
    outcomes = {secret_id: ensure_secret(secretsmanager, secret_id) for secret_id in ids}
    keys = SecretsManagerSource(secretsmanager)
    authority, payer, pool_authority = (keys.keypair(i) for i in ids)
    found = cluster.account(payer.pubkey())
    funded = 0
    if (found.lamports if found else 0) < FEE_PAYER_FLOOR + seed_lamports:
        cluster.airdrop(payer.pubkey(), fund_lamports)  # type: ignore[attr-defined]  (sandbox/devnet clusters)
        funded = fund_lamports
    with uow_factory() as uow:
        setup = uow.chain_setup()
    if setup is not None:
        if cluster.account(Pubkey.from_string(setup.mint)) is None:
            raise ChainSetupError(f"the ledger's points mint {setup.mint} is not on this chain (a reset sandbox "
                                  "with a kept ledger?): the MINTED markers no longer match; recreate both")
        PointsMint.load(cluster, Pubkey.from_string(setup.mint), authority, payer)  # the keys must be its keys
        if setup.pool_authority != str(pool_authority.pubkey()):
            raise ChainSetupError("the pool authority secret is not the key the chain setup recorded")
        return SetupReport(False, setup.mint, setup.pool_authority, outcomes, funded)
    points = PointsMint.create(cluster, Keypair(), authority, payer)
    nonce = Keypair()
    ConstantProductPool.create(points, pool_authority, nonce, payer, seed_points, seed_lamports)
    setup = ChainSetup(str(points.address), str(nonce.pubkey()), str(pool_authority.pubkey()), seed_points,
                       points.refund_mode)
    with uow_factory() as uow:
        uow.put_chain_setup(setup)
    log.info("points mint %s and pool %s created", setup.mint, setup.pool_authority)
    return SetupReport(True, setup.mint, setup.pool_authority, outcomes, funded)
