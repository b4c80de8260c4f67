"""A Solana JSON-RPC client (a validator, devnet, the local stack's LiteSVM sandbox) for the services' cluster
adapters: the requests, their errors (retriable or not; a sendTransaction whose reply was lost has an unknown
outcome: the transaction may have landed) and confirmation by polling the signature.

Plain values only (base58 strings, transaction bytes): each service turns them into its SDK's types and has
its own error type raised (`error=`, called like SolanaRpcError), so its ports keep their vocabulary. Needs
`requests`, which the services using it depend on."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import requests

SignatureStatus = Literal["landed", "failed"]


class SolanaRpcError(Exception):
    """An RPC that failed. `retriable`: worth another try; `outcome_unknown`: a transaction may have landed,
    read the chain (signature_status) before sending anything again."""

    def __init__(self, message: str, *, retriable: bool, outcome_unknown: bool = False):
        super().__init__(message)
        self.retriable = retriable
        self.outcome_unknown = outcome_unknown


@dataclass(frozen=True)
class RpcAccount:
    lamports: int
    owner: str
    data: bytes


class SolanaRpc:
    def __init__(self, url: str, timeout_seconds: float = 10.0, commitment: str = "confirmed",
                 error: Callable[..., Exception] = SolanaRpcError, poll_seconds: float = 0.4):
        self.url = url
        self.timeout = timeout_seconds
        self.commitment = commitment
        self._error = error
        self._poll = poll_seconds
        self._http = requests.Session()

    def __repr__(self) -> str:
        return f"SolanaRpc({self.url}, commitment={self.commitment})"

    def call(self, method: str, params: list) -> Any:
        sending = method == "sendTransaction"
        try:
            response = self._http.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                                       timeout=self.timeout)
        except requests.RequestException as e:
            raise self._error(f"{method}: {type(e).__name__}", retriable=True, outcome_unknown=sending) from e
        if response.status_code >= 500 or response.status_code == 429:
            raise self._error(f"{method}: HTTP {response.status_code}", retriable=True, outcome_unknown=sending)
        body = response.json()
        if "error" in body:
            raise self._error(f"{method}: {body['error'].get('message')}", retriable=False)
        return body["result"]

    # --- reads -------------------------------------------------------------------------------------
    def latest_blockhash(self) -> str:
        return self.call("getLatestBlockhash", [{"commitment": self.commitment}])["value"]["blockhash"]

    def blockhash_valid(self, blockhash: str) -> bool:
        """Whether a transaction signed with `blockhash` can still land (once False, it never can)."""
        return bool(self.call("isBlockhashValid", [blockhash, {"commitment": self.commitment}])["value"])

    def signature_status(self, signature: str, *, search_history: bool = True) -> SignatureStatus | None:
        """'landed' or 'failed' (executed and reverted: the fee is paid) once confirmed; None: not (yet) seen.
        `search_history`: beyond the node's recent status cache (what a recovery after a crash needs)."""
        params: list = [[signature], {"searchTransactionHistory": True}] if search_history else [[signature]]
        status = self.call("getSignatureStatuses", params)["value"][0]
        if not status or status.get("confirmationStatus") not in ("confirmed", "finalized"):
            return None
        return "failed" if status.get("err") else "landed"

    def account(self, address: str) -> RpcAccount | None:
        value = self.call("getAccountInfo", [address, {"encoding": "base64", "commitment": self.commitment}])["value"]
        if value is None:
            return None
        return RpcAccount(value["lamports"], value["owner"], base64.b64decode(value["data"][0]))

    def minimum_balance(self, space: int) -> int:
        return self.call("getMinimumBalanceForRentExemption", [space])

    # --- writes ------------------------------------------------------------------------------------
    def send_and_confirm(self, transaction: bytes) -> str:
        """Send a signed transaction and poll until it is confirmed: its signature, or the error (failed on
        chain: not retriable; not confirmed within the timeout: retriable, outcome unknown)."""
        signature = self.call("sendTransaction", [base64.b64encode(transaction).decode(),
                                                  {"encoding": "base64", "preflightCommitment": self.commitment}])
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                status = self.signature_status(signature, search_history=False)
            except Exception as e:
                # The node took the transaction: a failed status read leaves its outcome unknown (it may land),
                # never "known not landed", which would let the caller sign the same work again.
                raise self._error(f"{signature} sent, then {e}", retriable=True, outcome_unknown=True) from e
            if status == "failed":
                raise self._error(f"transaction {signature} failed on chain", retriable=False)
            if status == "landed":
                return signature
            time.sleep(self._poll)
        raise self._error(f"{signature} not confirmed in {self.timeout}s", retriable=True, outcome_unknown=True)

    def airdrop(self, address: str, lamports: int) -> str:
        """requestAirdrop: devnet, a test validator or the local sandbox only."""
        return self.call("requestAirdrop", [address, lamports])
