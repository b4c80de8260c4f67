"""Wire the adapters once per cold start. Tests call `build` with their own settings and clients.

- the ledger (DynamoDB unit of work; it is also the mint journal and holds wallets and redemptions);
- the wallet verifier (DynamoDB challenge store; no chain needed);
- the chain, built on first use (reading keys is the mint run's and redemption's business, not the balance
  read's): the cluster at REWARDS_SOLANA_RPC_URL, the keys from Secrets Manager, the mint and the pool named
  by the ledger's chain setup (`smartpay rewards chain-setup`), and the exchange REWARDS_EXCHANGE_VENUE names:
  the pool, or (`ccxt`) the exchange REWARDS_EXCHANGE_ID with its API key from the secret
  REWARDS_EXCHANGE_API_KEY_SECRET_ID, the points collected into the pool authority's account first;
- `shown_offers`: the offers the ledger pays a bonus for, read from the same decision log (the worker);
- `offer_policy`: the contextual bandit (adapters.offer_policy.BanditOfferPolicy) logging every decision to
  REWARDS_OFFER_DECISIONS_TABLE; its model is the checkpoint at REWARDS_OFFER_MODEL_S3_URI (read once, at the
  first statement: only the API reads it), or the uniform policy when none is set. Callers (tests) may pass
  their own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from smartpay_shared import aws

from smartpay_rewards.adapters.decision_log import DynamoDecisionLog
from smartpay_rewards.adapters.dynamodb import DynamoUnitOfWork
from smartpay_rewards.adapters.offer_model_store import S3OfferModelStore
from smartpay_rewards.adapters.offer_policy import BanditOfferPolicy
from smartpay_rewards.chain.challenge_store import DynamoChallengeStore
from smartpay_rewards.chain.minter import BatchMinter
from smartpay_rewards.chain.points_mint import PointsMint
from smartpay_rewards.chain.ports import ChainCluster, SecretSource, WalletVerifier
from smartpay_rewards.chain.wallets import SignedMessageVerifier
from smartpay_rewards.config import RewardsSettings, rewards_settings
from smartpay_rewards.domain.points import EarnRates
from smartpay_rewards.exchange.pool import ConstantProductPool
from smartpay_rewards.service_layer.ledger import UowFactory
from smartpay_rewards.service_layer.onchain import LedgerMintJournal
from smartpay_rewards.service_layer.ports import ExchangePort, OfferPolicy
from smartpay_rewards.service_layer.shown_offers import ShownOffers


class ChainNotSetUp(RuntimeError):
    """The ledger names no mint yet: `smartpay rewards chain-setup` has not run against this deployment."""


@dataclass
class Chain:
    cluster: ChainCluster
    points: PointsMint
    minter: BatchMinter
    exchange: ExchangePort
    pool_authority: Pubkey


@dataclass
class Rewards:
    uow: UowFactory
    rates: EarnRates
    shown_offers: ShownOffers | None  # the offers the ledger pays (the decision log); None: none pays
    verifier: WalletVerifier
    settings: RewardsSettings
    offer_policy_factory: Callable[[], OfferPolicy]  # built on first use: only the API chooses offers
    secrets: SecretSource | None = None
    cluster: ChainCluster | None = None
    exchange_http: Any = None  # the ccxt venue's requests.Session (tests: recorded responses); None: ccxt's own
    _chain: Chain | None = field(default=None, repr=False)
    _offer_policy: OfferPolicy | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def offer_policy(self) -> OfferPolicy:
        """Built at the first statement, not at every function's cold start: the worker and the minter never
        choose offers and may not read the checkpoint (IAM gives s3:GetObject on it to the API alone)."""
        with self._lock:
            if self._offer_policy is None:
                self._offer_policy = self.offer_policy_factory()
            return self._offer_policy

    def chain(self) -> Chain:
        with self._lock:
            if self._chain is None:
                self._chain = self._build_chain()
            return self._chain

    def _build_chain(self) -> Chain:
        from smartpay_rewards.chain.cluster import RpcCluster
        from smartpay_rewards.chain.secrets import SecretsManagerSource

        s = self.settings
        with self.uow() as uow:
            setup = uow.chain_setup()
        if setup is None:
            raise ChainNotSetUp("no points mint recorded: run `smartpay rewards chain-setup`")
        cluster = self.cluster or RpcCluster(s.solana_rpc_url)
        keys = self.secrets or SecretsManagerSource(aws.client("secretsmanager"))
        authority, payer = keys.keypair(s.mint_authority_secret_id), keys.keypair(s.fee_payer_secret_id)
        pool_authority = keys.keypair(s.pool_authority_secret_id)
        if str(pool_authority.pubkey()) != setup.pool_authority:
            raise ChainNotSetUp("the pool authority secret is not the key the chain setup recorded")
        points = PointsMint.load(cluster, Pubkey.from_string(setup.mint), authority, payer)
        minter = BatchMinter(points, LedgerMintJournal(self.uow), max_per_tx=s.mint_batch_size)
        if s.exchange_venue == "ccxt":
            exchange: ExchangePort = self._ccxt_venue(keys, points, pool_authority, payer)
        else:
            exchange = ConstantProductPool(points, pool_authority, Pubkey.from_string(setup.pool_nonce), payer)
        return Chain(cluster, points, minter, exchange, pool_authority.pubkey())

    def _ccxt_venue(self, keys: SecretSource, points: PointsMint, pool_authority: Keypair,
                    payer: Keypair) -> ExchangePort:
        from smartpay_rewards.exchange.cex import CcxtExchange, connect
        from smartpay_rewards.exchange.cex_venue import CexVenue
        from smartpay_rewards.exchange.collect import Treasury

        s = self.settings
        client = connect(s.exchange_id, keys.api_key(s.exchange_api_key_secret_id), self.exchange_http)
        return CexVenue(CcxtExchange(client, Decimal(s.exchange_point_value), s.exchange_quote_currency),
                        Treasury(points, pool_authority, payer))


def offer_model(settings: RewardsSettings, s3: Any = None) -> bytes | None:
    """The offer checkpoint REWARDS_OFFER_MODEL_S3_URI names (None when empty). A missing or empty object fails
    the cold start loudly rather than quietly serving the uniform policy."""
    if not settings.offer_model_s3_uri:
        return None
    return S3OfferModelStore(s3 or aws.client("s3")).get(settings.offer_model_s3_uri)


def build(settings: RewardsSettings, *, dynamodb: Any, offer_policy: OfferPolicy | None = None,
          secrets: SecretSource | None = None, cluster: ChainCluster | None = None, s3: Any = None,
          exchange_http: Any = None) -> Rewards:
    """`secrets` and `cluster` default to Secrets Manager and the RPC cluster at REWARDS_SOLANA_RPC_URL;
    `exchange_http` to ccxt's own HTTP session."""
    log = DynamoDecisionLog(dynamodb, settings.offer_decisions_table)

    def policy() -> OfferPolicy:
        return offer_policy or BanditOfferPolicy.from_checkpoint(log, offer_model(settings, s3))

    return Rewards(uow=lambda: DynamoUnitOfWork(dynamodb, settings.ledger_table, settings.accounts_table,
                                                settings.mint_journal_table),
                   rates=settings.earn_rates(), offer_policy_factory=policy, shown_offers=ShownOffers(log),
                   verifier=SignedMessageVerifier(DynamoChallengeStore(dynamodb, settings.challenges_table)),
                   settings=settings, secrets=secrets, cluster=cluster, exchange_http=exchange_http)


@cache
def service() -> Rewards:
    return build(rewards_settings(), dynamodb=aws.client("dynamodb"))
