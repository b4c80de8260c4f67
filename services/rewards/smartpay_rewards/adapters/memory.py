"""In-memory fake of the unit of work (unit tests): the same conditions as the DynamoDB one, checked
against dicts, so a test can also race two units of work."""

from __future__ import annotations

from dataclasses import replace

from smartpay_rewards.domain.model import Account, Change, Entry, PaymentRecord
from smartpay_rewards.service_layer.ports import AbstractUnitOfWork, AlreadyApplied, ConcurrentChange


class MemoryStore:
    def __init__(self) -> None:
        self.accounts: dict[tuple[str, str], Account] = {}
        self.payments: dict[tuple[str, str], PaymentRecord] = {}
        self.entries: dict[tuple[str, str], dict[str, Entry]] = {}
        self.events: set[tuple[str, str, str]] = set()
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

    def _commit(self, changes: list[Change], event: tuple[str, str, str] | None) -> None:
        s = self.store
        if event is not None and event in s.events:
            raise AlreadyApplied(event)
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
        if event is not None:
            s.events.add(event)
        s.commits += 1
