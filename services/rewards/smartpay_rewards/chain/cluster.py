"""Rewards' own cluster adapters (the payment service has its own; services share no code): an in-process
LiteSVM with the SPL programs (Token, Token-2022, Associated Token, Memo) loaded, and a JSON-RPC cluster."""

from __future__ import annotations

import base64
import time

import requests
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from smartpay_rewards.chain.ports import AccountInfo, ChainCluster, ClusterError, SignatureStatus


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
            raise ClusterError(f"{result.err()} {list(result.meta().logs())[-3:]}", retriable=False)
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
    """A JSON-RPC cluster (a validator, devnet, the local stack's Solana sandbox); confirmation by polling."""

    def __init__(self, url: str, timeout_seconds: float = 10.0, commitment: str = "confirmed"):
        self._url = url
        self._timeout = timeout_seconds
        self._commitment = commitment
        self._http = requests.Session()

    def _rpc(self, method: str, params: list):
        try:
            response = self._http.post(self._url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                                        "params": params}, timeout=self._timeout)
        except requests.RequestException as e:
            raise ClusterError(f"{method}: {type(e).__name__}", retriable=True,
                               outcome_unknown=method == "sendTransaction") from e
        if response.status_code >= 500 or response.status_code == 429:
            raise ClusterError(f"{method}: HTTP {response.status_code}", retriable=True,
                               outcome_unknown=method == "sendTransaction")
        body = response.json()
        if "error" in body:
            raise ClusterError(f"{method}: {body['error'].get('message')}", retriable=False)
        return body["result"]

    def latest_blockhash(self) -> Hash:
        return Hash.from_string(self._rpc("getLatestBlockhash", [{"commitment": self._commitment}])
                                ["value"]["blockhash"])

    def blockhash_valid(self, blockhash: Hash) -> bool:
        return bool(self._rpc("isBlockhashValid", [str(blockhash), {"commitment": self._commitment}])["value"])

    def send(self, tx: VersionedTransaction) -> str:
        signature = self._rpc("sendTransaction", [base64.b64encode(bytes(tx)).decode(),
                                                  {"encoding": "base64", "preflightCommitment": self._commitment}])
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            status = self.signature_status(signature)
            if status == "failed":
                raise ClusterError(f"{signature} failed on chain", retriable=False)
            if status == "landed":
                return signature
            time.sleep(0.4)
        raise ClusterError(f"{signature} not confirmed in {self._timeout}s", retriable=True, outcome_unknown=True)

    def signature_status(self, signature: str) -> SignatureStatus | None:
        status = self._rpc("getSignatureStatuses", [[signature], {"searchTransactionHistory": True}])["value"][0]
        if not status or status.get("confirmationStatus") not in ("confirmed", "finalized"):
            return None
        return "failed" if status.get("err") else "landed"

    def account(self, address: Pubkey) -> AccountInfo | None:
        value = self._rpc("getAccountInfo", [str(address), {"encoding": "base64",
                                                            "commitment": self._commitment}])["value"]
        if value is None:
            return None
        return AccountInfo(value["lamports"], Pubkey.from_string(value["owner"]), base64.b64decode(value["data"][0]))

    def minimum_balance(self, space: int) -> int:
        return self._rpc("getMinimumBalanceForRentExemption", [space])

    def airdrop(self, address: Pubkey, lamports: int) -> None:
        """requestAirdrop: a test validator or the local sandbox only."""
        self._rpc("requestAirdrop", [str(address), lamports])
