"""The ledger's on-chain use cases: link a wallet (a signed challenge), the mint run (what the ledger owes to
linked wallets, minted in batches, each batch's outcome and its MINTED markers written in ONE transaction), and
the reconciliation of the chain against the ledger.

The ledger stays the source of truth. LedgerMintJournal is the minter's MintJournal: a batch is recorded
`pending` BEFORE its transaction is sent; its outcome is written together with a MINTED marker
(domain.ledger.chain_marker) on every account of the batch, so a crash leaves either a pending batch that the
next run's recover() resolves from the chain, or the outcome with its markers; never markers without an
outcome or a landed batch without markers."""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

from smartpay_rewards.chain.accounting import Position, plan_mints
from smartpay_rewards.chain.ports import (BatchResult, ChainReading, LinkedWallet, MintJournal, PendingBatch,
                                          TokenMinter, WalletVerifier)
from smartpay_rewards.chain.reconcile import ReconciliationReport, compare
from smartpay_rewards.domain import ledger
from smartpay_rewards.domain.errors import AccountNotFound, ChallengeMismatch, WalletAlreadyLinked
from smartpay_rewards.domain.model import Account, ChainSetup, EntryKind
from smartpay_rewards.service_layer.ports import (AbstractUnitOfWork, AlreadyApplied, ConcurrentChange, LeaseClaim,
                                                  LeaseLost)

log = logging.getLogger(__name__)
UowFactory = Callable[[], AbstractUnitOfWork]
ATTEMPTS = 8
MINT_LEASE = "mint-run"
# How long a mint run's lease lasts past its last pending batch: a run killed mid-way (SIGKILL, a Lambda timeout)
# holds minting up for at most this long. Longer than the minter Lambda's timeout (30 s) and than any gap between
# two batches of one run; every pending write extends it.
MINT_LEASE_SECONDS = 60.0


@dataclass(frozen=True)
class _HeldLease:
    holder: str
    seconds: float
    clock: Callable[[], float]


# The lease of the mint run in progress (set by mint_run around its work, same thread): the journal's pending
# writes inside the run are fenced on it and extend it.
_run_lease: ContextVar[_HeldLease | None] = ContextVar("mint_run_lease", default=None)


def _existing(uow: AbstractUnitOfWork, merchant_id: str, customer_id: str) -> Account:
    account = uow.account(merchant_id, customer_id)
    if not account.exists:
        raise AccountNotFound(customer_id)
    return account


# --- wallet link ------------------------------------------------------------------------------------------

def issue_challenge(merchant_id: str, customer_id: str, wallet: str, uow_factory: UowFactory,
                    verifier: WalletVerifier):
    """The message the wallet signs. The customer must have rewards at this merchant (else 404), and must
    not have another wallet linked already; a bad address is WalletLinkRefused('invalid_wallet')."""
    with uow_factory() as uow:
        _existing(uow, merchant_id, customer_id)
        linked = uow.wallet(merchant_id, customer_id)
    if linked is not None and linked != wallet:
        raise WalletAlreadyLinked(linked)
    return verifier.issue_challenge(merchant_id, customer_id, wallet)


def link_wallet(merchant_id: str, customer_id: str, nonce: str, signature: str, uow_factory: UowFactory,
                verifier: WalletVerifier) -> LinkedWallet:
    """Verify the signed challenge (consumed once: a replay is refused) and record the link."""
    with uow_factory() as uow:
        _existing(uow, merchant_id, customer_id)
    linked = verifier.link_wallet(merchant_id, nonce, signature)
    if linked.customer_id != customer_id:
        raise ChallengeMismatch("the challenge was issued for another customer")
    for _ in range(ATTEMPTS):
        with uow_factory() as uow:
            current = uow.wallet(merchant_id, customer_id)
            if current is not None and current != linked.wallet:
                raise WalletAlreadyLinked(current)
            uow.stage_wallet(linked)
            try:
                uow.commit()
            except ConcurrentChange:
                continue
            return linked
    raise ConcurrentChange(f"wallet link of {customer_id}")


# --- the mint journal, in the ledger ----------------------------------------------------------------------

class LedgerMintJournal(MintJournal):
    def __init__(self, uow_factory: UowFactory, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.uow = uow_factory
        self.clock = clock

    def record_pending(self, pending: PendingBatch) -> None:
        """Inside a mint run, fenced on the run's lease and extending it (LeaseLost: another run took it over,
        this batch must not be sent)."""
        held = _run_lease.get()
        claim = LeaseClaim(MINT_LEASE, held.holder, held.clock() + held.seconds) if held else None
        with self.uow() as uow:
            uow.put_pending_batch(pending, claim)

    def record_outcome(self, result: BatchResult) -> None:
        if result.status == "unresolved":
            return  # stays pending: recover() decides later
        amounts: dict[tuple[str, str], int] = defaultdict(int)
        if result.status == "minted":
            for order in result.orders:
                amounts[(order.merchant_id, order.customer_id)] += order.amount
        for _ in range(ATTEMPTS):
            with self.uow() as uow:
                for (merchant_id, customer_id), points in sorted(amounts.items()):
                    account = uow.account(merchant_id, customer_id)
                    uow.stage(ledger.chain_marker(account, EntryKind.MINTED, points, result.batch_id, self.clock(),
                                                  detail=f"minted in transaction {result.signature}"))
                uow.stage_batch_outcome(result)
                try:
                    uow.commit()
                except AlreadyApplied:
                    return  # recorded before (a retry of the same outcome)
                except ConcurrentChange:
                    continue  # an account moved (a capture meanwhile): read it again
                return
        raise ConcurrentChange(f"mint batch {result.batch_id}: accounts kept changing")

    def pending(self) -> list[PendingBatch]:
        with self.uow() as uow:
            return uow.pending_batches()


# --- the mint run -----------------------------------------------------------------------------------------

@dataclass
class MintRun:
    recovered: list[BatchResult] = field(default_factory=list)
    results: list[BatchResult] = field(default_factory=list)
    skipped_in_flight: int = 0        # accounts with a batch that may still land (not minted again)
    offsets: int = 0                  # accounts with more on chain than the ledger entitles (refunds)
    locked: bool = False              # another run holds the lease: nothing done
    lease_lost: bool = False          # the lease expired and another run took it: stopped before a send

    @property
    def minted_points(self) -> int:
        return sum(o.amount for r in self.recovered + self.results if r.status == "minted" for o in r.orders)

    @property
    def failed(self) -> list[BatchResult]:
        return [r for r in self.results if r.status != "minted"]


def positions(uow: AbstractUnitOfWork) -> list[tuple[LinkedWallet, Account]]:
    return [(w, uow.account(w.merchant_id, w.customer_id)) for w in uow.wallets()]


def mint_run(uow_factory: UowFactory, minter: TokenMinter, *, lease_seconds: float = MINT_LEASE_SECONDS,
             clock: Callable[[], float] = time.time) -> MintRun:
    """recover() the journal's pending batches first, then mint what the ledger owes (earned - clawed back -
    minted, per linked account) in batches. One run at a time (a lease in the ledger): two runs reading the
    same owed points would mint them twice. The lease lasts `lease_seconds` and every batch's pending write
    extends it, fenced: once another run has taken an expired lease over, this run's next pending write is
    refused and it stops before sending (`lease_lost`). A killed run (its lease never released) holds the
    next runs off for at most `lease_seconds` after its last batch."""
    holder = uuid.uuid4().hex
    now = clock()
    with uow_factory() as uow:
        if not uow.acquire_lease(MINT_LEASE, holder, now + lease_seconds, now):
            return MintRun(locked=True)
    token = _run_lease.set(_HeldLease(holder, lease_seconds, clock))
    run = MintRun()
    try:
        run.recovered = minter.recover()
        in_flight = {(o.merchant_id, o.customer_id) for r in run.recovered if r.status == "unresolved"
                     for o in r.orders}
        with uow_factory() as uow:
            found = positions(uow)
        owed = [Position(w.merchant_id, w.customer_id, w.wallet, a.earned - a.clawed, a.minted)
                for w, a in found if (w.merchant_id, w.customer_id) not in in_flight]
        run.skipped_in_flight = len(found) - len(owed)
        plan = plan_mints(owed)
        run.offsets = len(plan.offsets)
        if plan.orders:
            run.results = minter.mint_batches(list(plan.orders), f"run-{int(now)}-{holder[:8]}")
        return run
    except LeaseLost:
        # Batches recorded before the refusal are in the journal with their outcomes; `results` omits them.
        log.warning("mint run %s lost its lease to another run: stopped before sending", holder[:8])
        run.lease_lost = True
        return run
    finally:
        _run_lease.reset(token)
        with uow_factory() as uow:
            uow.release_lease(MINT_LEASE, holder)


# --- reconciliation ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Expected:
    """What the ledger says the chain holds: per wallet minted - redeemed, the pool's reserve (its seed plus
    every redemption's points), and the supply (everything minted plus the pool's seed)."""

    wallets: dict[str, int]
    supply: int
    accounts: int


def expected_holdings(uow: AbstractUnitOfWork, setup: ChainSetup) -> Expected:
    wallets: dict[str, int] = defaultdict(int)
    minted = redeemed = 0
    found = positions(uow)
    for w, a in found:
        wallets[w.wallet] += a.minted - a.redeemed
        minted += a.minted
        redeemed += a.redeemed
    wallets[setup.pool_authority] += setup.pool_seed_points + redeemed
    return Expected(dict(wallets), minted + setup.pool_seed_points, len(found))


def reconcile(uow_factory: UowFactory, read_chain: Callable[[list[str]], ChainReading]) -> ReconciliationReport:
    """Compare the chain (`read_chain(wallets)`: balances and the mint's supply) with the ledger."""
    with uow_factory() as uow:
        setup = uow.chain_setup()
        if setup is None:
            raise LookupError("no chain setup in the ledger: run `smartpay rewards chain-setup` first")
        expected = expected_holdings(uow, setup)
    return compare(expected.wallets, read_chain(sorted(expected.wallets)), expected.supply)
