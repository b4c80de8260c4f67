"""Batched minting: one transaction per up to `max_per_tx` orders (and never over the 1,232-byte limit),
each order = an idempotent associated-token-account create (first-time wallets only) + MintTo, and a memo
`smartpay-rewards:mint:<batch id>`.

Exactly-once: the batch's signed transaction (its signature and blockhash) is written to the caller's journal
BEFORE it is sent. After any failure or crash the chain decides: the signature landed -> minted; it failed, or
was never seen and its blockhash can no longer land -> nothing minted, safe to re-sign; never seen and the
blockhash is still valid -> unresolved (wait). A failed batch is retried (retriable errors) or split in halves
until the failing order is alone, so one bad order does not block the others and nothing is minted twice."""

from __future__ import annotations

import logging
import time

from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from smartpay_rewards.chain import spl
from smartpay_rewards.chain.points_mint import LAMPORTS_PER_SIGNATURE, PointsMint
from smartpay_rewards.chain.ports import (BatchResult, ClusterError, MintJournal, MintOrder, PendingBatch,
                                          TokenMinter)

log = logging.getLogger(__name__)
MEMO_PREFIX = "smartpay-rewards:mint:"
MAX_BATCH_PREFIX = 40
SPLIT_ROOM = 16  # characters of "-<index>" and ".0"/".1" split suffixes the memo may grow by


class BatchMinter(TokenMinter):
    def __init__(self, points: PointsMint, journal: MintJournal, max_per_tx: int = 20, max_retries: int = 2,
                 poll_seconds: float = 0.5):
        self.points = points
        self.poll_seconds = poll_seconds
        self.journal = journal
        self.max_per_tx = max_per_tx
        self.max_retries = max_retries

    # --- building ----------------------------------------------------------------------------------
    def _instructions(self, batch_id: str, orders: list[MintOrder], new_wallets: set[str]) -> list:
        p = self.points
        instructions = []
        for order in orders:
            wallet = Pubkey.from_string(order.wallet)
            if order.wallet in new_wallets:
                instructions.append(spl.create_associated_token_account_idempotent(
                    p.payer.pubkey(), wallet, p.address, p.token_program))
            instructions.append(spl.mint_to(p.address, p.token_account(wallet), p.authority.pubkey(),
                                            order.amount, p.token_program))
        instructions.append(spl.memo(MEMO_PREFIX + batch_id, p.authority.pubkey()))
        return instructions

    def _new_wallets(self, orders: list[MintOrder]) -> set[str]:
        return {o.wallet for o in orders if not self.points.has_token_account(Pubkey.from_string(o.wallet))}

    def pack(self, orders: list[MintOrder], batch_prefix: str = "x" * MAX_BATCH_PREFIX) -> list[list[MintOrder]]:
        """Greedy packing: add orders while the signed transaction fits and the count allows. (LiteSVM does
        not enforce the 1,232-byte limit; a real cluster refuses bigger transactions, so this must.)"""
        id_length = len(batch_prefix) + SPLIT_ROOM
        new_wallets = self._new_wallets(orders)
        blockhash = self.points.cluster.latest_blockhash()
        batches: list[list[MintOrder]] = []
        current: list[MintOrder] = []
        for order in orders:
            candidate = current + [order]
            fits = len(candidate) <= self.max_per_tx and self._size(candidate, new_wallets, blockhash, id_length) <= \
                spl.TRANSACTION_SIZE_LIMIT
            if fits or not current:
                current = candidate
            else:
                batches.append(current)
                current = [order]
        if current:
            batches.append(current)
        return batches

    def _size(self, orders, new_wallets, blockhash, id_length: int = MAX_BATCH_PREFIX + 16) -> int:
        try:
            sized_id = "x" * id_length
            return len(bytes(self.points.compile(self._instructions(sized_id, orders, new_wallets), blockhash)))
        except Exception:  # solders refuses to serialize an oversize message
            return spl.TRANSACTION_SIZE_LIMIT + 1

    # --- sending -----------------------------------------------------------------------------------
    def mint_batches(self, orders: list[MintOrder], batch_prefix: str) -> list[BatchResult]:
        if not 0 < len(batch_prefix) <= MAX_BATCH_PREFIX:
            raise ValueError(f"batch_prefix must be 1..{MAX_BATCH_PREFIX} characters")
        bad = [o for o in orders if o.amount <= 0]
        if bad:
            raise ValueError(f"mint orders must be positive: {bad[:3]}")
        results: list[BatchResult] = []
        for i, batch in enumerate(self.pack(list(orders), batch_prefix)):
            results.extend(self._mint(f"{batch_prefix}-{i}", batch))
        return results

    def _mint(self, batch_id: str, orders: list[MintOrder]) -> list[BatchResult]:
        reason = ""
        for attempt in range(1, self.max_retries + 2):
            new_wallets = self._new_wallets(orders)
            tx = self.points.compile(self._instructions(batch_id, orders, new_wallets))
            pending = PendingBatch(batch_id, tuple(orders), str(tx.signatures[0]), str(tx.message.recent_blockhash),
                                   len(new_wallets))
            self.journal.record_pending(pending)
            try:
                self.points.cluster.send(tx)
                return [self._record(pending, tx, attempt)]
            except ClusterError as e:
                reason = str(e)[:300]
                status = self._wait_for(pending) if e.outcome_unknown else "failed"
                if status == "landed":
                    return [self._record(pending, tx, attempt)]
                if status is None:  # may still land: leave it pending for recover()
                    log.warning("mint batch %s unresolved: %s", batch_id, reason)
                    return [BatchResult(batch_id, "unresolved", tuple(orders), pending.signature, reason=reason,
                                        attempts=attempt)]
                # Nothing of it is on chain (a failed transaction reverts everything but the fee).
                fee = LAMPORTS_PER_SIGNATURE * len(tx.signatures) if self.points.cluster.signature_status(
                    pending.signature) == "failed" else 0
                if not e.retriable:
                    self.journal.record_outcome(BatchResult(batch_id, "failed", tuple(orders), pending.signature,
                                                            fee_lamports=fee, reason=reason, attempts=attempt))
                    if len(orders) == 1:
                        return [BatchResult(batch_id, "failed", tuple(orders), pending.signature, fee_lamports=fee,
                                            reason=reason, attempts=attempt)]
                    half = len(orders) // 2
                    log.info("mint batch %s failed (%s): splitting %d orders", batch_id, reason, len(orders))
                    return self._mint(batch_id + ".0", orders[:half]) + self._mint(batch_id + ".1", orders[half:])
        result = BatchResult(batch_id, "failed", tuple(orders), reason=reason, attempts=self.max_retries + 1)
        self.journal.record_outcome(result)
        return [result]

    def _record(self, pending: PendingBatch, tx: VersionedTransaction | None, attempt: int = 1) -> BatchResult:
        """A landed batch: its cost is the base fee per signature plus the rent of the accounts it created."""
        same_key = self.points.payer.pubkey() == self.points.authority.pubkey()
        signatures = len(tx.signatures) if tx is not None else (1 if same_key else 2)
        result = BatchResult(pending.batch_id, "minted", pending.orders, pending.signature,
                             fee_lamports=LAMPORTS_PER_SIGNATURE * signatures,
                             rent_lamports=pending.new_accounts * self.points.token_account_rent(), attempts=attempt)
        self.journal.record_outcome(result)
        return result

    def _wait_for(self, pending: PendingBatch, polls: int = 3):
        """'landed' / 'failed' from the chain; 'failed' too when never seen and its blockhash expired (it can
        never land); None while it may still land."""
        from solders.hash import Hash

        for poll in range(polls):
            if poll:
                time.sleep(self.poll_seconds)
            status = self.points.cluster.signature_status(pending.signature)
            if status is not None:
                return status
            if not self.points.cluster.blockhash_valid(Hash.from_string(pending.blockhash)):
                # Re-read once: it may have landed between the two reads.
                return self.points.cluster.signature_status(pending.signature) or "failed"
        return None

    def recover(self) -> list[BatchResult]:
        results = []
        for pending in self.journal.pending():
            status = self._wait_for(pending, polls=1)
            if status == "landed":
                results.append(self._record(pending, None))
            elif status == "failed":
                result = BatchResult(pending.batch_id, "failed", pending.orders, pending.signature,
                                     reason="not on chain after a crash: safe to mint again")
                self.journal.record_outcome(result)
                results.append(result)
            else:
                results.append(BatchResult(pending.batch_id, "unresolved", pending.orders, pending.signature,
                                           reason="blockhash still valid: may land"))
        return results
