"""In-memory fake of the unit of work (unit tests): the same conditions as the DynamoDB one, checked
against dicts, so a test can also race two units of work."""

from __future__ import annotations

from dataclasses import replace

from smartpay_rewards.chain.ports import BatchResult, LinkedWallet, PendingBatch
from smartpay_rewards.domain.model import Account, Change, ChainSetup, Entry, PaymentRecord, Redemption
from smartpay_rewards.service_layer.ports import (AbstractUnitOfWork, AlreadyApplied, BatchOutcomeWrite,
                                                  ConcurrentChange, LeaseClaim, LeaseLost, Record, RedemptionWrite,
                                                  WalletWrite)


class MemoryStore:
    def __init__(self) -> None:
        self.accounts: dict[tuple[str, str], Account] = {}
        self.payments: dict[tuple[str, str], PaymentRecord] = {}
        self.entries: dict[tuple[str, str], dict[str, Entry]] = {}
        self.events: set[tuple[str, str, str]] = set()
        self.wallets: dict[tuple[str, str], LinkedWallet] = {}
        self.redemptions: dict[tuple[str, str], Redemption] = {}
        self.batches: dict[str, PendingBatch] = {}       # pending (sent, no outcome recorded)
        self.outcomes: dict[str, BatchResult] = {}
        self.setup: ChainSetup | None = None
        self.leases: dict[str, tuple[str, float]] = {}
        self.categories: dict[str, str] = {}
        self.commits = 0


class FakeUnitOfWork(AbstractUnitOfWork):
    def __init__(self, store: MemoryStore):
        self.store = store

    def account(self, merchant_id: str, customer_id: str) -> Account:
        return self.store.accounts.get((merchant_id, customer_id)) or Account(merchant_id, customer_id)

    def payment(self, merchant_id: str, payment_id: str) -> PaymentRecord | None:
        return self.store.payments.get((merchant_id, payment_id))

    def event_applied(self, merchant_id: str, payment_id: str, event_id: str) -> bool:
        return (merchant_id, payment_id, event_id) in self.store.events

    def history(self, merchant_id: str, customer_id: str, *, limit: int, before_seq: int | None = None) -> list[Entry]:
        found = sorted(self.store.entries.get((merchant_id, customer_id), {}).values(), key=lambda e: -e.seq)
        return [e for e in found if before_seq is None or e.seq < before_seq][:limit]

    def merchant_category(self, merchant_id: str) -> str | None:
        return self.store.categories.get(merchant_id)

    def put_merchant_category(self, merchant_id: str, category: str | None, at) -> None:
        if category is None:
            self.store.categories.pop(merchant_id, None)
        else:
            self.store.categories[merchant_id] = category

    def wallet(self, merchant_id: str, customer_id: str) -> str | None:
        found = self.store.wallets.get((merchant_id, customer_id))
        return found.wallet if found else None

    def wallets(self) -> list[LinkedWallet]:
        return list(self.store.wallets.values())

    def redemption(self, merchant_id: str, redemption_id: str) -> Redemption | None:
        return self.store.redemptions.get((merchant_id, redemption_id))

    def open_redemptions(self) -> list[Redemption]:
        return [r for r in self.store.redemptions.values() if r.status in ("reserved", "pending")]

    def put_pending_batch(self, pending: PendingBatch, lease: LeaseClaim | None = None) -> None:
        if lease is not None:
            if self.store.leases.get(lease.name, ("",))[0] != lease.holder:
                raise LeaseLost(lease.name)
            self.store.leases[lease.name] = (lease.holder, lease.until)
        self.store.batches[pending.batch_id] = pending

    def pending_batches(self) -> list[PendingBatch]:
        return list(self.store.batches.values())

    def chain_setup(self) -> ChainSetup | None:
        return self.store.setup

    def put_chain_setup(self, setup: ChainSetup) -> None:
        if self.store.setup is not None:
            raise ConcurrentChange("a chain setup is stored")
        self.store.setup = setup

    def acquire_lease(self, name: str, holder: str, until: float, now: float) -> bool:
        found = self.store.leases.get(name)
        if found and found[0] != holder and found[1] > now:
            return False
        self.store.leases[name] = (holder, until)
        return True

    def release_lease(self, name: str, holder: str) -> None:
        if self.store.leases.get(name, ("",))[0] == holder:
            del self.store.leases[name]

    def _check(self, record: Record) -> None:
        s = self.store
        if isinstance(record, WalletWrite):
            found = s.wallets.get((record.link.merchant_id, record.link.customer_id))
            if found and found.wallet != record.link.wallet:
                raise ConcurrentChange("another wallet is linked")
        elif isinstance(record, RedemptionWrite):
            r = record.redemption
            found = s.redemptions.get((r.merchant_id, r.redemption_id))
            if (found.status if found else None) != record.expected_status:
                raise ConcurrentChange(f"redemption {r.redemption_id} is {found and found.status}")
        elif isinstance(record, BatchOutcomeWrite) and record.result.batch_id in s.outcomes:
            raise AlreadyApplied(record.result.batch_id)

    def _apply(self, record: Record) -> None:
        s = self.store
        if isinstance(record, WalletWrite):
            s.wallets[(record.link.merchant_id, record.link.customer_id)] = record.link
        elif isinstance(record, RedemptionWrite):
            s.redemptions[(record.redemption.merchant_id, record.redemption.redemption_id)] = record.redemption
        elif isinstance(record, BatchOutcomeWrite):
            s.batches.pop(record.result.batch_id, None)
            s.outcomes[record.result.batch_id] = record.result

    def _commit(self, changes: list[Change], event: tuple[str, str, str] | None, records: list[Record] = ()) -> None:
        s = self.store
        if event is not None and event in s.events:
            raise AlreadyApplied(event)
        for record in records:
            self._check(record)
        for c in changes:
            key = (c.account.merchant_id, c.account.customer_id)
            if s.accounts.get(key, Account(*key)).seq != c.account_before.seq:
                raise ConcurrentChange(key)
            if c.payment is not None:
                pkey = (c.payment.merchant_id, c.payment.payment_id)
                stored = s.payments.get(pkey)
                if (stored.version if stored else 0) != (c.payment_before.version if c.payment_before else 0):
                    raise ConcurrentChange(pkey)
            ids = s.entries.get(key, {})
            if any(e.entry_id in ids for e in c.entries):
                raise AlreadyApplied([e.entry_id for e in c.entries])
        for c in changes:
            key = (c.account.merchant_id, c.account.customer_id)
            if c.entries:
                s.accounts[key] = c.account
                s.entries.setdefault(key, {}).update({e.entry_id: e for e in c.entries})
            if c.payment is not None and c.payment != c.payment_before:
                s.payments[(c.payment.merchant_id, c.payment.payment_id)] = replace(
                    c.payment, version=(c.payment_before.version if c.payment_before else 0) + 1)
        for record in records:
            self._apply(record)
        if event is not None:
            s.events.add(event)
        s.commits += 1
