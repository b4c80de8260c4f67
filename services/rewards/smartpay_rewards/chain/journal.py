"""An in-memory MintJournal: the unit-of-work fake for tests and the demo (the rewards ledger is the real one).
It also keeps the ledger's view the minter updates: minted points per (merchant, customer)."""

from __future__ import annotations

from collections import defaultdict

from smartpay_rewards.chain.ports import BatchResult, MintJournal, PendingBatch


class InMemoryMintJournal(MintJournal):
    def __init__(self):
        self._pending: dict[str, PendingBatch] = {}
        self.outcomes: list[BatchResult] = []
        self.minted: dict[tuple[str, str], int] = defaultdict(int)

    def record_pending(self, pending: PendingBatch) -> None:
        self._pending[pending.batch_id] = pending

    def record_outcome(self, result: BatchResult) -> None:
        if result.status == "unresolved":
            return
        self._pending.pop(result.batch_id, None)
        self.outcomes.append(result)
        if result.status == "minted":
            for order in result.orders:
                self.minted[(order.merchant_id, order.customer_id)] += order.amount

    def pending(self) -> list[PendingBatch]:
        return list(self._pending.values())
