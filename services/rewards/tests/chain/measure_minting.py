"""Measures mint batches on LiteSVM (run by hand, not a test): lamports per batch for N = 1, 10, 20 customers
(first mint: token accounts created; repeat mint: accounts exist), the largest N one transaction holds under
the 1,232-byte limit, compute units, and time per batch. Prints JSON.

    .venv/bin/python services/rewards/tests/chain/measure_minting.py
"""

from __future__ import annotations

import json
import platform
import statistics
import time

from solders.keypair import Keypair
from solders.signature import Signature

from smartpay_rewards.chain import spl
from smartpay_rewards.chain.cluster import LiteSvmCluster
from smartpay_rewards.chain.journal import InMemoryMintJournal
from smartpay_rewards.chain.minter import BatchMinter
from smartpay_rewards.chain.points_mint import PointsMint
from smartpay_rewards.chain.ports import MintOrder

REPEATS = 5


class TimedSends:
    """The real cluster, with the time spent inside send() (LiteSVM executing the transaction) added up."""

    def __init__(self, inner):
        self.inner, self.seconds = inner, 0.0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def send(self, tx):
        started = time.perf_counter()
        try:
            return self.inner.send(tx)
        finally:
            self.seconds += time.perf_counter() - started


def setup(mode="offset"):
    cluster = LiteSvmCluster()
    payer = Keypair()
    cluster.airdrop(payer.pubkey(), 10_000 * 10**9)
    return cluster, PointsMint.create(cluster, Keypair(), Keypair(), payer, mode), payer


def max_fit(points, minter, new: bool, prefix_length: int) -> int:
    n = 1
    while True:
        orders = [MintOrder("m", f"c{i}", str(Keypair().pubkey()), 1_000 + i) for i in range(n + 1)]
        new_wallets = {o.wallet for o in orders} if new else set()
        size = minter._size(orders, new_wallets, points.cluster.latest_blockhash(), prefix_length + 16)
        if size > spl.TRANSACTION_SIZE_LIMIT:
            return n
        n += 1


def measure(n: int, mode: str) -> dict:
    rows = {"first": [], "repeat": []}
    for _ in range(REPEATS):
        cluster, points, payer = setup(mode)
        timed = TimedSends(cluster)
        points = PointsMint(timed, points.address, points.authority, points.payer, points.refund_mode)
        minter = BatchMinter(points, InMemoryMintJournal(), max_per_tx=64)
        orders = [MintOrder("m", f"c{i}", str(Keypair().pubkey()), 100 + i) for i in range(n)]
        for phase in ("first", "repeat"):
            before = cluster.account(payer.pubkey()).lamports
            timed.seconds = 0.0
            started = time.perf_counter()
            results = minter.mint_batches(orders, phase)
            elapsed = time.perf_counter() - started
            spent = before - cluster.account(payer.pubkey()).lamports
            assert all(r.status == "minted" for r in results) and sum(r.lamports_spent for r in results) == spent
            cu = sum(cluster.svm.get_transaction(Signature.from_string(r.signature)).compute_units_consumed()
                     for r in results)
            rows[phase].append({"transactions": len(results), "lamports_spent": spent,
                                "fee_lamports": sum(r.fee_lamports for r in results),
                                "rent_lamports": sum(r.rent_lamports for r in results),
                                "compute_units": cu, "ms": elapsed * 1000,
                                "send_ms_per_tx": timed.seconds * 1000 / len(results)})
    out = {}
    for phase, runs in rows.items():
        first = runs[0]
        # compute units vary with the PDA bump search of random wallets
        varying = ("ms", "compute_units", "send_ms_per_tx")
        fixed = [{k: r[k] for k in r if k not in varying} for r in runs]
        assert all(f == fixed[0] for f in fixed), fixed
        out[phase] = {**fixed[0], "compute_units_min": min(r["compute_units"] for r in runs),
                      "compute_units_max": max(r["compute_units"] for r in runs),
                      "ms_median": round(statistics.median(r["ms"] for r in runs), 2),
                      "ms_max": round(max(r["ms"] for r in runs), 2),
                      "send_ms_per_tx_median": round(statistics.median(r["send_ms_per_tx"] for r in runs), 3),
                      "runs": len(runs)}
    return out


def main() -> None:
    report = {"host": platform.node(), "python": platform.python_version(), "repeats": REPEATS, "modes": {}}
    for mode in ("offset", "permanent_delegate_burn"):
        cluster, points, _ = setup(mode)
        minter = BatchMinter(points, InMemoryMintJournal(), max_per_tx=64)
        report["modes"][mode] = {
            "max_orders_per_tx": {f"{kind}_wallets_batch_prefix_{length}_chars": max_fit(points, minter, new, length)
                                  for kind, new in (("new", True), ("existing", False)) for length in (6, 40)},
            "token_account_rent_lamports": points.token_account_rent(),
            "batches": {str(n): measure(n, mode) for n in (1, 10, 20)},
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
