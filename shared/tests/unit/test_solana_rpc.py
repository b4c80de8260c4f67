"""The shared Solana JSON-RPC client over real HTTP, against a scripted JSON-RPC server on a free port: the
request it sends, the error mapping (HTTP 5xx and 429 retriable, a JSON-RPC error not, a lost sendTransaction
reply of unknown outcome), confirmation by polling, and the caller's own error type. Both services' cluster
adapters run it against the LiteSVM sandbox too (payment's test_solana_rpc.py, rewards' test_rpc_sandbox.py)."""

from __future__ import annotations

import base64
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from smartpay_shared.solana_rpc import RpcAccount, SolanaRpc, SolanaRpcError


class Scripted(ThreadingHTTPServer):
    """Answers each POST with the next (status, body) of its script; records the JSON-RPC requests."""

    def __init__(self, script):
        self.script, self.seen = list(script), []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler):  # noqa: N805
                self.seen.append(json.loads(handler.rfile.read(int(handler.headers["Content-Length"]))))
                status, body = self.script.pop(0)
                payload = json.dumps(body).encode()
                handler.send_response(status)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(payload)))
                handler.end_headers()
                handler.wfile.write(payload)

            def log_message(handler, *args):  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def server():
    servers = []

    def start(*script) -> Scripted:
        s = Scripted(script)
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def ok(result) -> tuple[int, dict]:
    return 200, {"jsonrpc": "2.0", "id": 1, "result": result}


def confirmed(err=None) -> tuple[int, dict]:
    return ok({"context": {"slot": 1}, "value": [{"slot": 1, "err": err, "confirmationStatus": "confirmed"}]})


def test_reads_in_plain_values(server):
    data = bytes(range(10))
    s = server(ok({"context": {"slot": 1}, "value": {"blockhash": "Hash111", "lastValidBlockHeight": 9}}),
               ok({"context": {"slot": 1}, "value": {"lamports": 5, "owner": "Owner111", "executable": False,
                                                     "rentEpoch": 0, "data": [base64.b64encode(data).decode(), "base64"]}}),
               ok({"context": {"slot": 1}, "value": None}), ok(890_880), ok({"context": {"slot": 1}, "value": False}))
    rpc = SolanaRpc(s.url, commitment="finalized")
    assert rpc.latest_blockhash() == "Hash111"
    assert rpc.account("Acc111") == RpcAccount(5, "Owner111", data) and rpc.account("Gone111") is None
    assert rpc.minimum_balance(0) == 890_880 and rpc.blockhash_valid("Hash111") is False
    assert [r["method"] for r in s.seen] == ["getLatestBlockhash", "getAccountInfo", "getAccountInfo",
                                            "getMinimumBalanceForRentExemption", "isBlockhashValid"]
    assert s.seen[0]["params"] == [{"commitment": "finalized"}] and s.seen[1]["params"][0] == "Acc111"


def test_send_and_confirm_polls_until_confirmed(server):
    s = server(ok("Sig111"), ok({"context": {"slot": 1}, "value": [None]}),
               ok({"context": {"slot": 1}, "value": [{"err": None, "confirmationStatus": "processed"}]}), confirmed())
    rpc = SolanaRpc(s.url, timeout_seconds=5, poll_seconds=0.01)
    assert rpc.send_and_confirm(b"\x01signed") == "Sig111"
    sent = s.seen[0]["params"]
    assert base64.b64decode(sent[0]) == b"\x01signed" and sent[1]["encoding"] == "base64"
    assert s.seen[1]["params"] == [["Sig111"]]  # the recent status cache is enough right after sending


def test_failed_on_chain_is_final_and_a_timeout_is_of_unknown_outcome(server):
    s = server(ok("Sig111"), confirmed(err={"InstructionError": [0, "Custom"]}))
    with pytest.raises(SolanaRpcError) as failed:
        SolanaRpc(s.url, poll_seconds=0.01).send_and_confirm(b"tx")
    assert not failed.value.retriable and not failed.value.outcome_unknown
    s = server(ok("Sig222"), *[ok({"context": {"slot": 1}, "value": [None]})] * 50)
    with pytest.raises(SolanaRpcError) as late:
        SolanaRpc(s.url, timeout_seconds=0.2, poll_seconds=0.01).send_and_confirm(b"tx")
    assert late.value.retriable and late.value.outcome_unknown and "Sig222" in str(late.value)


def test_a_status_read_failing_after_the_send_leaves_the_outcome_unknown(server):
    # The node took the transaction; reading its status then fails (HTTP 503, a JSON-RPC error): it may land,
    # so the caller must ask the chain before signing the same work again.
    for answer in ((503, {}), (200, {"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": "behind"}})):
        s = server(ok("Sig333"), answer)
        with pytest.raises(SolanaRpcError) as caught:
            SolanaRpc(s.url, poll_seconds=0.01).send_and_confirm(b"tx")
        assert caught.value.retriable and caught.value.outcome_unknown and "Sig333 sent" in str(caught.value)


def test_errors_are_mapped_to_the_callers_type(server):
    class ClusterError(Exception):
        def __init__(self, message, *, retriable, outcome_unknown=False):
            super().__init__(message)
            self.retriable, self.outcome_unknown = retriable, outcome_unknown

    s = server((503, {}), (429, {}), (200, {"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "bad"}}),
               (502, {}))
    rpc = SolanaRpc(s.url, error=ClusterError)
    cases = [(rpc.latest_blockhash, True, False, "getLatestBlockhash: HTTP 503"),
             (lambda: rpc.minimum_balance(1), True, False, "getMinimumBalanceForRentExemption: HTTP 429"),
             (lambda: rpc.account("x"), False, False, "getAccountInfo: bad"),
             (lambda: rpc.send_and_confirm(b"tx"), True, True, "sendTransaction: HTTP 502")]  # may have landed
    for action, retriable, unknown, message in cases:
        with pytest.raises(ClusterError) as caught:
            action()
        assert (caught.value.retriable, caught.value.outcome_unknown, str(caught.value)) == (retriable, unknown,
                                                                                              message)


def test_an_unreachable_node():
    with socket.socket() as held:  # a port of ours that nobody listens on: connections are refused
        held.bind(("127.0.0.1", 0))
        rpc = SolanaRpc(f"http://127.0.0.1:{held.getsockname()[1]}", timeout_seconds=1)
        with pytest.raises(SolanaRpcError) as down:
            rpc.latest_blockhash()
        assert down.value.retriable and not down.value.outcome_unknown
        with pytest.raises(SolanaRpcError) as lost:
            rpc.send_and_confirm(b"tx")
        assert lost.value.retriable and lost.value.outcome_unknown  # it may have reached the node
