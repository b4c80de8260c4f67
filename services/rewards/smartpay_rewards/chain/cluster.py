"""Rewards' cluster adapters: an in-process LiteSVM with the SPL programs (Token, Token-2022, Associated Token,
Memo) loaded, and a JSON-RPC cluster over the project's shared client (smartpay_shared.solana_rpc, which the
payment service's adapter uses too)."""

from __future__ import annotations

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from smartpay_shared.solana_rpc import SolanaRpc

from smartpay_rewards.chain.ports import AccountInfo, ChainCluster, ClusterError, SignatureStatus

# How a refused send names an expired blockhash: the runtime's error code (LiteSVM, the sandbox's preflight) and
# a validator's preflight message ("Transaction simulation failed: Blockhash not found").
_BLOCKHASH_NOT_FOUND = ("BlockhashNotFound", "Blockhash not found")


def blockhash_not_found(error: ClusterError) -> ClusterError:
    """A refused send whose blockhash had expired (another transaction moved the chain on between signing and
    sending) as retriable: nothing was executed or charged, and the same instructions signed again with a fresh
    blockhash can land. The caller bounds the retries (BatchMinter.max_retries). Any other error is returned
    as it is."""
    message = str(error)
    if error.retriable or error.outcome_unknown or not any(s in message for s in _BLOCKHASH_NOT_FOUND):
        return error
    return ClusterError(f"{message} (blockhash expired before the send: sign again with a fresh one)",
                        retriable=True)


class LiteSvmCluster(ChainCluster):
    """solders.litesvm: real signatures, fees, rent and programs. As on a live cluster, a transaction only
    lands with the latest blockhash, which changes after every send (expire_blockhash)."""

    def __init__(self, svm=None):
        from solders.litesvm import LiteSVM

        self.svm = svm or LiteSVM()

    def latest_blockhash(self) -> Hash:
        return self.svm.latest_blockhash()

    def blockhash_valid(self, blockhash: Hash) -> bool:
        return blockhash == self.svm.latest_blockhash()

    def send(self, tx: VersionedTransaction) -> str:
        from solders.transaction_metadata import FailedTransactionMetadata

        result = self.svm.send_transaction(tx)
        self.svm.expire_blockhash()
        if isinstance(result, FailedTransactionMetadata):
            raise blockhash_not_found(ClusterError(f"{result.err()} {list(result.meta().logs())[-3:]}",
                                                   retriable=False))
        return str(tx.signatures[0])

    def signature_status(self, signature: str) -> SignatureStatus | None:
        from solders.transaction_metadata import FailedTransactionMetadata

        found = self.svm.get_transaction(Signature.from_string(signature))
        if found is None:
            return None
        return "failed" if isinstance(found, FailedTransactionMetadata) else "landed"

    def account(self, address: Pubkey) -> AccountInfo | None:
        found = self.svm.get_account(address)
        if found is None or found.lamports == 0:
            return None
        return AccountInfo(found.lamports, found.owner, bytes(found.data))

    def minimum_balance(self, space: int) -> int:
        return self.svm.minimum_balance_for_rent_exemption(space)

    def airdrop(self, address: Pubkey, lamports: int) -> None:
        self.svm.airdrop(address, lamports)


class RpcCluster(ChainCluster):
    """A JSON-RPC cluster (a validator, devnet, the local stack's Solana sandbox): the shared client
    (smartpay_shared.solana_rpc) in this port's types; its errors are this port's ClusterError."""

    def __init__(self, url: str, timeout_seconds: float = 10.0, commitment: str = "confirmed"):
        self._rpc = SolanaRpc(url, timeout_seconds, commitment, error=ClusterError)

    def latest_blockhash(self) -> Hash:
        return Hash.from_string(self._rpc.latest_blockhash())

    def blockhash_valid(self, blockhash: Hash) -> bool:
        return self._rpc.blockhash_valid(str(blockhash))

    def send(self, tx: VersionedTransaction) -> str:
        try:
            return self._rpc.send_and_confirm(bytes(tx))
        except ClusterError as e:
            found = blockhash_not_found(e)
            if found is e:
                raise
            raise found from e

    def signature_status(self, signature: str) -> SignatureStatus | None:
        return self._rpc.signature_status(signature)

    def account(self, address: Pubkey) -> AccountInfo | None:
        found = self._rpc.account(str(address))
        return None if found is None else AccountInfo(found.lamports, Pubkey.from_string(found.owner), found.data)

    def minimum_balance(self, space: int) -> int:
        return self._rpc.minimum_balance(space)

    def airdrop(self, address: Pubkey, lamports: int) -> None:
        """requestAirdrop: a test validator or the local sandbox only."""
        self._rpc.airdrop(str(address), lamports)
