"""SOLANA LOCAL SANDBOX — not a Solana validator. One LiteSVM behind the few JSON-RPC methods the
RPC connector uses (getLatestBlockhash, sendTransaction, getSignatureStatuses, getAccountInfo,
getMinimumBalanceForRentExemption, getBalance) plus requestAirdrop, so every local process (workers,
tests, the demo) sees the same chain and the RPC-backed connector is exercised over real HTTP."""

from __future__ import annotations

import argparse
import base64
import json
import threading

from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response


class SolanaRpcSandbox:
    def __init__(self):
        self.svm = LiteSVM()
        self._lock = threading.Lock()
        self._statuses: dict[str, dict] = {}

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.method == "GET":
            return Response(json.dumps({"sandbox": "solana-litesvm", "ok": True}),
                            mimetype="application/json")(environ, start_response)
        body = request.get_json(silent=True) or {}
        try:
            with self._lock:
                result = getattr(self, "rpc_" + body.get("method", ""))(*body.get("params", []))
            payload = {"jsonrpc": "2.0", "id": body.get("id"), "result": result}
        except AttributeError:
            payload = {"jsonrpc": "2.0", "id": body.get("id"), "error": {"code": -32601, "message": "no method"}}
        except (ValueError, TypeError, IndexError) as e:
            payload = {"jsonrpc": "2.0", "id": body.get("id"), "error": {"code": -32602, "message": str(e)}}
        return Response(json.dumps(payload), mimetype="application/json")(environ, start_response)

    def _slot(self) -> int:
        return self.svm.get_clock().slot

    def rpc_getLatestBlockhash(self, config=None):
        return {"context": {"slot": self._slot()},
                "value": {"blockhash": str(self.svm.latest_blockhash()), "lastValidBlockHeight": 0}}

    def rpc_isBlockhashValid(self, blockhash, config=None):
        # LiteSVM accepts only its latest blockhash (the sandbox expires it after every send). The rewards
        # minter's recovery asks it: a batch never seen whose blockhash is gone can never land.
        return {"context": {"slot": self._slot()}, "value": blockhash == str(self.svm.latest_blockhash())}

    def rpc_sendTransaction(self, encoded, config=None):
        tx = VersionedTransaction.from_bytes(base64.b64decode(encoded))
        signature = str(tx.signatures[0])
        result = self.svm.send_transaction(tx)
        if isinstance(result, FailedTransactionMetadata):
            # A real node refuses a failing transaction in preflight, with the program error.
            raise ValueError(f"Transaction simulation failed: {result.err()}")
        self._statuses[signature] = {"slot": self._slot(), "confirmations": None, "err": None,
                                     "confirmationStatus": "finalized"}
        self.svm.expire_blockhash()
        return signature

    def rpc_getSignatureStatuses(self, signatures, config=None):
        return {"context": {"slot": self._slot()}, "value": [self._statuses.get(s) for s in signatures]}

    def rpc_getAccountInfo(self, address, config=None):
        account = self.svm.get_account(Pubkey.from_string(address))
        if account is None or account.lamports == 0:
            return {"context": {"slot": self._slot()}, "value": None}
        return {"context": {"slot": self._slot()}, "value": {
            "lamports": account.lamports, "owner": str(account.owner), "executable": account.executable,
            "rentEpoch": 0, "data": [base64.b64encode(bytes(account.data)).decode(), "base64"]}}

    def rpc_getBalance(self, address, config=None):
        return {"context": {"slot": self._slot()}, "value": self.svm.get_balance(Pubkey.from_string(address)) or 0}

    def rpc_getMinimumBalanceForRentExemption(self, space, config=None):
        return self.svm.minimum_balance_for_rent_exemption(int(space))

    def rpc_requestAirdrop(self, address, lamports, config=None):
        self.svm.airdrop(Pubkey.from_string(address), int(lamports))
        signature = str(Signature.new_unique())
        self._statuses[signature] = {"slot": self._slot(), "confirmations": None, "err": None,
                                     "confirmationStatus": "finalized"}
        return signature


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Solana LOCAL SANDBOX: LiteSVM behind JSON-RPC")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8899)
    args = parser.parse_args(argv)
    run_simple(args.host, args.port, SolanaRpcSandbox(), threaded=True)


if __name__ == "__main__":
    main()
