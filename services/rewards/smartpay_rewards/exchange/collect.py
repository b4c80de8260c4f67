"""The points' side of a redemption at a venue off the chain: the customer's points move into the platform's
treasury (the pool authority's points account, where every redeemed point ends up, whatever the venue) and,
when the venue refuses, back to the wallet.

Each move is ONE transaction (TransferChecked + a memo naming the redemption), paid by the fee payer and
signed by the pool authority: as the wallet's approved delegate for a collection (`spl.approve_checked`,
signed by the customer beforehand: the service never holds a customer's key), as the owner for a return.
A move whose reply is lost is decided by the chain: landed, failed (reverted: only the fee is paid), or
never seen with a blockhash that can no longer land, so it never will (then it is safe to send again)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from smartpay_rewards.chain import spl
from smartpay_rewards.chain.points_mint import LAMPORTS_PER_SIGNATURE, POINTS_DECIMALS, PointsMint
from smartpay_rewards.chain.ports import ClusterError

log = logging.getLogger(__name__)
COLLECT_MEMO = "smartpay-rewards:collect:"
RETURN_MEMO = "smartpay-rewards:return:"
Outcome = Literal["landed", "failed", "never", "unknown"]


def wallet_refusal(points: PointsMint, wallet: Pubkey, amount: int, delegate: Pubkey) -> tuple[str, str] | None:
    """(reason, detail) when `delegate` cannot move `amount` points out of `wallet` now; None when it can."""
    if points.balance(wallet) < amount:
        return "insufficient_points", "the wallet holds fewer points than the quote"
    found = points.cluster.account(points.token_account(wallet))
    approved, allowed = spl.token_account_delegation(found.data) if found else (None, 0)
    if approved != delegate or allowed < amount:
        return "rejected", (f"the wallet has not approved the pool authority {delegate} for {amount} points "
                            f"(approved: {allowed if approved else 0})")
    return None


@dataclass(frozen=True)
class Move:
    """One points transfer. `outcome`: landed; failed (nothing moved: reverted on chain, refused before it
    ran, or never seen and no longer able to land); unknown (may still land: ask `Treasury.outcome` later).
    `fee_lamports`: what the fee payer paid for it, as far as known."""

    signature: str
    blockhash: str
    outcome: Literal["landed", "failed", "unknown"]
    fee_lamports: int = 0
    error: str = ""


class Treasury:
    """Moves points between a customer's wallet and the pool authority's points account."""

    def __init__(self, points: PointsMint, authority: Keypair, payer: Keypair):
        self.points = points
        self.cluster = points.cluster
        self.authority = authority
        self.payer = payer
        self.fee = LAMPORTS_PER_SIGNATURE * len({str(payer.pubkey()), str(authority.pubkey())})  # per move

    def __repr__(self) -> str:
        return f"Treasury(points={self.points.address}, authority={self.authority.pubkey()})"

    def refusal(self, wallet: Pubkey, amount: int) -> tuple[str, str] | None:
        return wallet_refusal(self.points, wallet, amount, self.authority.pubkey())

    def collect(self, redemption_id: str, wallet: Pubkey, amount: int) -> Move:
        """The wallet's points to the treasury (the pool authority moves them as the approved delegate)."""
        p, me = self.points, self.authority.pubkey()
        return self._send([spl.transfer_checked(p.token_account(wallet), p.address, p.token_account(me), me, amount,
                                                POINTS_DECIMALS, p.token_program),
                           spl.memo(COLLECT_MEMO + redemption_id, me)])

    def give_back(self, redemption_id: str, wallet: Pubkey, amount: int) -> Move:
        """The treasury's points back to the wallet (a refused or cancelled redemption)."""
        p, me = self.points, self.authority.pubkey()
        return self._send([spl.transfer_checked(p.token_account(me), p.address, p.token_account(wallet), me, amount,
                                                POINTS_DECIMALS, p.token_program),
                           spl.memo(RETURN_MEMO + redemption_id, me)])

    def outcome(self, signature: str, blockhash: str) -> Outcome:
        """What became of a move whose reply was lost; `never`: not seen and its blockhash can no longer land."""
        try:
            status = self.cluster.signature_status(signature)
            if status is not None:
                return status
            return "unknown" if self.cluster.blockhash_valid(Hash.from_string(blockhash)) else "never"
        except ClusterError:
            return "unknown"

    # --- helpers -----------------------------------------------------------------------------------
    def _send(self, instructions) -> Move:
        try:
            blockhash = self.cluster.latest_blockhash()
        except ClusterError as e:
            return Move("", "", "failed", error=f"no blockhash: {e}")  # nothing was signed or sent
        message = MessageV0.try_compile(self.payer.pubkey(), instructions, [], blockhash)
        signers = {str(k.pubkey()): k for k in (self.payer, self.authority)}
        tx = VersionedTransaction(message, list(signers.values()))
        signature, sent_with = str(tx.signatures[0]), str(blockhash)
        try:
            self.cluster.send(tx)
            return Move(signature, sent_with, "landed", self.fee)
        except ClusterError as e:
            if not e.outcome_unknown:  # refused: before it ran (no fee) or reverted on chain (fee paid)
                return Move(signature, sent_with, "failed", self.fee if self._failed_on_chain(signature) else 0,
                            str(e)[:300])
            error = str(e)[:300]
        except Exception as e:  # noqa: BLE001 - the signed transaction may have left: only the chain can say
            error = f"{type(e).__name__} after send"
        log.warning("points move %s: reply lost (%s), asking the chain", signature, error)
        found = self.outcome(signature, sent_with)
        if found == "landed":
            return Move(signature, sent_with, "landed", self.fee)
        if found in ("failed", "never"):
            return Move(signature, sent_with, "failed", self.fee if found == "failed" else 0, error)
        return Move(signature, sent_with, "unknown", 0, error)  # its fee is counted once the chain tells

    def _failed_on_chain(self, signature: str) -> bool:
        try:
            return self.cluster.signature_status(signature) == "failed"
        except ClusterError:
            return False
