"""The chain package's ports (the one definition; service_layer/ports.py re-exports them): where transactions go, where
keys come from, where wallet challenges and mint batches are recorded, and what the service layer calls."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Literal

from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from smartpay_shared.solana_rpc import SolanaRpcError


class ClusterError(SolanaRpcError):
    """A transaction or RPC that failed (`retriable`). `outcome_unknown`: the transaction may have landed (a
    lost reply, a timeout): the caller must read the chain (signature_status) before trying again."""


@dataclass(frozen=True)
class AccountInfo:
    lamports: int
    owner: Pubkey
    data: bytes


SignatureStatus = Literal["landed", "failed"]


class ChainCluster(abc.ABC):
    @abc.abstractmethod
    def latest_blockhash(self) -> Hash: ...

    @abc.abstractmethod
    def blockhash_valid(self, blockhash: Hash) -> bool:
        """Whether a transaction signed with `blockhash` can still land (once False it never can)."""

    @abc.abstractmethod
    def send(self, tx: VersionedTransaction) -> str:
        """Execute and confirm; the signature, or ClusterError (program error, or outcome unknown)."""

    @abc.abstractmethod
    def signature_status(self, signature: str) -> SignatureStatus | None:
        """'landed', 'failed' (on chain, reverted: fee paid, nothing else), or None (not seen)."""

    @abc.abstractmethod
    def account(self, address: Pubkey) -> AccountInfo | None: ...

    @abc.abstractmethod
    def minimum_balance(self, space: int) -> int: ...


@dataclass(frozen=True)
class ApiKey:
    """An exchange API key pair (repr shows neither part)."""

    key: str = field(repr=False)
    secret: str = field(repr=False)


class SecretSource(abc.ABC):
    """Keys by secret id. Implementations never log, repr or put a key's bytes into an error message."""

    @abc.abstractmethod
    def keypair(self, secret_id: str) -> Keypair: ...

    @abc.abstractmethod
    def api_key(self, secret_id: str) -> ApiKey:
        """An exchange's API key (the ccxt venue)."""


@dataclass(frozen=True)
class Challenge:
    """A server-issued message a customer signs with the wallet they claim."""

    nonce: str
    merchant_id: str
    customer_id: str
    wallet: str
    issued_at: float
    expires_at: float

    @property
    def message(self) -> bytes:
        return (f"SmartPay rewards: link wallet {self.wallet} to customer {self.customer_id} of merchant "
                f"{self.merchant_id}. Nonce {self.nonce}. Expires {int(self.expires_at)}.").encode()


class ChallengeStore(abc.ABC):
    @abc.abstractmethod
    def put(self, challenge: Challenge) -> None: ...

    @abc.abstractmethod
    def get(self, merchant_id: str, nonce: str) -> Challenge | None: ...

    @abc.abstractmethod
    def consume(self, merchant_id: str, nonce: str) -> bool:
        """Mark used, atomically: True the first time only (a replay gets False)."""


@dataclass(frozen=True)
class LinkedWallet:
    merchant_id: str
    customer_id: str
    wallet: str
    nonce: str


class WalletVerifier(abc.ABC):
    @abc.abstractmethod
    def issue_challenge(self, merchant_id: str, customer_id: str, wallet: str) -> Challenge: ...

    @abc.abstractmethod
    def link_wallet(self, merchant_id: str, nonce: str, signature: str) -> LinkedWallet:
        """The proven link, or WalletLinkRefused(reason) (unknown/expired/used challenge, bad signature)."""


@dataclass(frozen=True)
class MintOrder:
    """Mint `amount` points to `wallet` for (merchant, customer): one line of a batch."""

    merchant_id: str
    customer_id: str
    wallet: str
    amount: int


@dataclass(frozen=True)
class PendingBatch:
    """Recorded BEFORE the transaction is sent: after a crash, `signature` and `blockhash` tell from the chain
    whether it landed (signature_status) or can never land (blockhash no longer valid)."""

    batch_id: str
    orders: tuple[MintOrder, ...]
    signature: str
    blockhash: str
    new_accounts: int = 0  # token accounts the transaction creates (their rent is part of its cost)


@dataclass(frozen=True)
class BatchResult:
    """minted: on chain. failed: nothing of it on chain (safe to mint again). unresolved: sent, not seen, and
    may still land: do not mint these orders again until recover() resolves it."""

    batch_id: str
    status: Literal["minted", "failed", "unresolved"]
    orders: tuple[MintOrder, ...]
    signature: str | None = None
    fee_lamports: int = 0       # transaction fees paid by the fee payer
    rent_lamports: int = 0      # rent of token accounts created for first-time wallets
    reason: str | None = None
    attempts: int = 1

    @property
    def lamports_spent(self) -> int:
        return self.fee_lamports + self.rent_lamports


class MintJournal(abc.ABC):
    """The caller's ledger marker for mint batches (the rewards ledger implements it in DynamoDB)."""

    @abc.abstractmethod
    def record_pending(self, pending: PendingBatch) -> None:
        """Before send; replaces a previous pending record of the same batch id (a re-signed retry)."""

    @abc.abstractmethod
    def record_outcome(self, result: BatchResult) -> None:
        """After the chain answered; clears the pending record."""

    @abc.abstractmethod
    def pending(self) -> list[PendingBatch]:
        """Batches sent but with no recorded outcome (a crash between send and record)."""


class TokenMinter(abc.ABC):
    @abc.abstractmethod
    def mint_batches(self, orders: list[MintOrder], batch_prefix: str) -> list[BatchResult]:
        """Mint `orders`, packed into transactions; every order ends in exactly one result."""

    @abc.abstractmethod
    def recover(self) -> list[BatchResult]:
        """Resolve the journal's pending batches from the chain (run before minting anew)."""


@dataclass
class ChainReading:
    """What the chain says: each wallet's points balance and the mint's total supply."""

    balances: dict[str, int] = field(default_factory=dict)
    supply: int = 0
