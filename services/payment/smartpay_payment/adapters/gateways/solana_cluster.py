"""Where Solana transactions go: an in-process LiteSVM (local, tests) or a JSON-RPC cluster, one port."""

from __future__ import annotations

import abc
from dataclasses import dataclass

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from smartpay_shared.solana_rpc import SolanaRpc, SolanaRpcError


class ClusterError(SolanaRpcError):
    """A transaction or RPC that failed (`retriable`; `outcome_unknown`: it may have landed)."""


@dataclass(frozen=True)
class AccountInfo:
    lamports: int
    data: bytes


class SolanaCluster(abc.ABC):
    @abc.abstractmethod
    def latest_blockhash(self) -> Hash: ...

    @abc.abstractmethod
    def send(self, tx: VersionedTransaction) -> str:
        """Execute and confirm; the signature, or ClusterError with the program error."""

    @abc.abstractmethod
    def account(self, address: Pubkey) -> AccountInfo | None: ...

    @abc.abstractmethod
    def minimum_balance(self, space: int) -> int: ...


class LiteSvmCluster(SolanaCluster):
    """solders.litesvm: real signatures, fees and rent; the SPL programs are loaded by default."""

    def __init__(self, svm=None):
        from solders.litesvm import LiteSVM

        self.svm = svm or LiteSVM()

    def latest_blockhash(self) -> Hash:
        return self.svm.latest_blockhash()

    def send(self, tx: VersionedTransaction) -> str:
        from solders.transaction_metadata import FailedTransactionMetadata

        result = self.svm.send_transaction(tx)
        if isinstance(result, FailedTransactionMetadata):
            raise ClusterError(f"{result.err()} {list(result.meta().logs())[-3:]}", retriable=False)
        self.svm.expire_blockhash()  # the next transaction gets a fresh blockhash, as on a live cluster
        return str(tx.signatures[0])

    def account(self, address: Pubkey) -> AccountInfo | None:
        found = self.svm.get_account(address)
        if found is None or found.lamports == 0:
            return None
        return AccountInfo(found.lamports, bytes(found.data))

    def minimum_balance(self, space: int) -> int:
        return self.svm.minimum_balance_for_rent_exemption(space)

    def airdrop(self, address: Pubkey, lamports: int) -> None:
        self.svm.airdrop(address, lamports)


class RpcCluster(SolanaCluster):
    """A real cluster (devnet, a local validator, the local stack's sandbox) over JSON-RPC: the shared client
    (smartpay_shared.solana_rpc) in this port's types; its errors are this port's ClusterError."""

    def __init__(self, url: str, timeout_seconds: float = 10.0, commitment: str = "confirmed"):
        self._rpc = SolanaRpc(url, timeout_seconds, commitment, error=ClusterError)

    def latest_blockhash(self) -> Hash:
        return Hash.from_string(self._rpc.latest_blockhash())

    def send(self, tx: VersionedTransaction) -> str:
        return self._rpc.send_and_confirm(bytes(tx))

    def account(self, address: Pubkey) -> AccountInfo | None:
        found = self._rpc.account(str(address))
        return None if found is None else AccountInfo(found.lamports, found.data)

    def minimum_balance(self, space: int) -> int:
        return self._rpc.minimum_balance(space)

    def airdrop(self, address: Pubkey, lamports: int) -> None:
        """requestAirdrop: devnet, a test validator or the local sandbox only."""
        self._rpc.airdrop(str(address), lamports)
