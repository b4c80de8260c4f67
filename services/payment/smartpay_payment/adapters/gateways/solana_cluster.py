"""Where Solana transactions go: an in-process LiteSVM (local, tests) or a JSON-RPC cluster, one port."""

from __future__ import annotations

import abc
import base64
import time
from dataclasses import dataclass

import requests
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction


class ClusterError(Exception):
    def __init__(self, message: str, *, retriable: bool):
        super().__init__(message)
        self.retriable = retriable


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
    """A real cluster (devnet, a local validator) over JSON-RPC; confirmation by polling the signature."""

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
            raise ClusterError(f"{method}: {type(e).__name__}", retriable=True) from e
        if response.status_code >= 500 or response.status_code == 429:
            raise ClusterError(f"{method}: HTTP {response.status_code}", retriable=True)
        body = response.json()
        if "error" in body:
            raise ClusterError(f"{method}: {body['error'].get('message')}", retriable=False)
        return body["result"]

    def latest_blockhash(self) -> Hash:
        result = self._rpc("getLatestBlockhash", [{"commitment": self._commitment}])
        return Hash.from_string(result["value"]["blockhash"])

    def send(self, tx: VersionedTransaction) -> str:
        encoded = base64.b64encode(bytes(tx)).decode()
        signature = self._rpc("sendTransaction", [encoded, {"encoding": "base64",
                                                            "preflightCommitment": self._commitment}])
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            status = self._rpc("getSignatureStatuses", [[signature]])["value"][0]
            if status and status.get("err"):
                raise ClusterError(f"transaction failed: {status['err']}", retriable=False)
            if status and status.get("confirmationStatus") in ("confirmed", "finalized"):
                return signature
            time.sleep(0.4)
        raise ClusterError(f"{signature} not confirmed in {self._timeout}s", retriable=True)

    def account(self, address: Pubkey) -> AccountInfo | None:
        value = self._rpc("getAccountInfo", [str(address), {"encoding": "base64",
                                                            "commitment": self._commitment}])["value"]
        if value is None:
            return None
        return AccountInfo(value["lamports"], base64.b64decode(value["data"][0]))

    def minimum_balance(self, space: int) -> int:
        return self._rpc("getMinimumBalanceForRentExemption", [space])

    def airdrop(self, address: Pubkey, lamports: int) -> None:
        """requestAirdrop: devnet, a test validator or the local sandbox only."""
        self._rpc("requestAirdrop", [str(address), lamports])
