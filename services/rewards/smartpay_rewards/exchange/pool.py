"""A constant-product pool on the local chain: points against SOL, or against a stablecoin (an SPL mint).

Reserves are real accounts: the pool's points token account (owned by the pool authority) and either the
pool authority's own lamports (above its rent-exempt minimum) or its stablecoin token account. A settlement
is ONE transaction signed by the customer (points out of their wallet), the pool authority (the payout out of
the reserve) and the platform's fee payer: [advance the pool's durable nonce, points -> pool, payout ->
customer (SOL transfer, or an idempotent token-account create + TransferChecked), memo with the quote id].

The durable nonce orders the pool's swaps on chain: every swap advances it and every settlement is signed
against the nonce value read with the reserves it priced, so a transaction priced on reserves another swap
has since moved is refused by the chain (BlockhashNotFound), re-priced, and checked against the quote's
slippage limit again. A transaction either lands whole or not at all; a lost reply is resolved from the chain
and, if the transaction was never seen, cancelled by advancing the nonce so it can never land later.

This pool's invariant is enforced by the service that holds the pool authority's key (not by an on-chain
program): production would use an AMM program; the settlement rules here are the same."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import (AdvanceNonceAccountParams, TransferParams, advance_nonce_account,
                                    create_nonce_account, transfer)
from solders.transaction import VersionedTransaction

from smartpay_rewards.chain import spl
from smartpay_rewards.chain.points_mint import LAMPORTS_PER_SIGNATURE, POINTS_DECIMALS, PointsMint
from smartpay_rewards.chain.ports import ClusterError
from smartpay_rewards.exchange import pool_math
from smartpay_rewards.exchange.collect import wallet_refusal
from smartpay_rewards.exchange.ports import ExchangePort, Quote, QuoteRefused, Redeemer, Settlement

log = logging.getLogger(__name__)
NONCE_ACCOUNT_SIZE = 80
MEMO_PREFIX = "smartpay-rewards:redeem:"


@dataclass(frozen=True)
class Reserves:
    points: int
    out: int  # lamports above the rent-exempt minimum, or stablecoin base units
    nonce: Hash


@dataclass(frozen=True)
class OutAsset:
    """What the pool pays out: SOL (mint None) or a classic SPL token such as a USDC-like stablecoin."""

    symbol: str
    decimals: int
    mint: Pubkey | None = None


SOL = OutAsset("SOL", 9)


def _pubkey(key: Keypair | Pubkey) -> Pubkey:
    return key.pubkey() if isinstance(key, Keypair) else key


class ConstantProductPool(ExchangePort):
    venue = "pool"

    def __init__(self, points: PointsMint, authority: Keypair, nonce_account: Pubkey, payer: Keypair,
                 fee_bps: int = 30, quote_ttl_seconds: float = 30.0, clock: Callable[[], float] = time.time,
                 max_attempts: int = 3, out: OutAsset = SOL):
        self.points = points
        self.out = out
        self.cluster = points.cluster
        self.authority = authority
        self.nonce_account = nonce_account
        self.payer = payer
        self.fee_bps = fee_bps
        self.ttl = quote_ttl_seconds
        self.clock = clock
        self.max_attempts = max_attempts

    def __repr__(self) -> str:
        return (f"ConstantProductPool(points/{self.out.symbol}, authority={self.authority.pubkey()}, "
                f"fee_bps={self.fee_bps})")

    @classmethod
    def create(cls, points: PointsMint, authority: Keypair, nonce: Keypair, payer: Keypair, seed_points: int,
               seed_out: int, out: OutAsset = SOL, out_mint_authority: Keypair | None = None,
               **kwargs) -> ConstantProductPool:
        """Fund the payout reserve (SOL from the payer; a stablecoin minted by `out_mint_authority`, the
        sandbox's issuer), create the durable nonce and the points reserve (minted by the points authority:
        the platform's liquidity, counted in the supply the reconciliation expects)."""
        cluster = points.cluster
        rent = cluster.minimum_balance(0)
        extra_signers = []
        if out.mint is None:
            funding = [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=authority.pubkey(),
                                               lamports=seed_out + rent))]
        else:
            if out_mint_authority is None:
                raise ValueError("seeding a stablecoin reserve needs its mint authority")
            funding = [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=authority.pubkey(),
                                               lamports=rent)),
                       spl.create_associated_token_account_idempotent(payer.pubkey(), authority.pubkey(), out.mint),
                       spl.mint_to(out.mint, spl.associated_token_address(authority.pubkey(), out.mint),
                                   out_mint_authority.pubkey(), seed_out)]
            extra_signers.append(out_mint_authority)
        instructions = [*funding,
                        *create_nonce_account(payer.pubkey(), nonce.pubkey(), authority.pubkey(),
                                              cluster.minimum_balance(NONCE_ACCOUNT_SIZE)),
                        spl.create_associated_token_account_idempotent(payer.pubkey(), authority.pubkey(),
                                                                       points.address, points.token_program),
                        spl.mint_to(points.address, points.token_account(authority.pubkey()),
                                    points.authority.pubkey(), seed_points, points.token_program)]
        signers = {str(k.pubkey()): k for k in (payer, nonce, points.authority, *extra_signers)}
        message = MessageV0.try_compile(payer.pubkey(), instructions, [], cluster.latest_blockhash())
        cluster.send(VersionedTransaction(message, list(signers.values())))
        return cls(points, authority, nonce.pubkey(), payer, out=out, **kwargs)

    # --- reads -------------------------------------------------------------------------------------
    def reserves(self) -> Reserves:
        nonce = self.cluster.account(self.nonce_account)
        authority = self.cluster.account(self.authority.pubkey())
        if nonce is None or authority is None:
            raise QuoteRefused("unavailable", "the pool is not set up")
        if self.out.mint is None:
            out = authority.lamports - self.cluster.minimum_balance(0)
        else:
            found = self.cluster.account(self._out_account(self.authority.pubkey()))
            out = spl.token_account_amount(found.data) if found else 0
        return Reserves(self.points.balance(self.authority.pubkey()), out, Hash(nonce.data[40:72]))

    def _out_account(self, owner: Pubkey) -> Pubkey:
        return spl.associated_token_address(owner, self.out.mint)

    def _out(self, reserves: Reserves, points: int) -> int:
        return pool_math.amount_out(reserves.points, reserves.out, points, self.fee_bps)

    # --- the port ----------------------------------------------------------------------------------
    def quote(self, points: int, target_asset: str, slippage_bps: int = 100) -> Quote:
        if target_asset != self.out.symbol:
            raise QuoteRefused("rejected", f"the pool trades points for {self.out.symbol}, not {target_asset}")
        if not isinstance(points, int) or points <= 0:
            raise QuoteRefused("below_minimum", "points must be a positive integer")
        if not 0 <= slippage_bps <= 5_000:
            raise QuoteRefused("rejected", "slippage_bps must be within 0..5000")
        reserves = self.reserves()
        out = self._out(reserves, points)
        if out <= 0:
            raise QuoteRefused("below_minimum", f"too few points for one base unit of {self.out.symbol}")
        return Quote(str(uuid.uuid4()), self.venue, points, self.out.symbol, out, Decimal(out) / Decimal(points),
                     self.clock() + self.ttl, slippage_bps,
                     {"reserve_points": reserves.points, "reserve_out": reserves.out, "fee_bps": self.fee_bps})

    def settle(self, quote: Quote, redeemer: Redeemer) -> Settlement:
        if quote.venue != self.venue:
            return Settlement(quote.id, "refused", "rejected", detail="a quote from another venue")
        if self.clock() >= quote.expires_at:
            return Settlement(quote.id, "refused", "expired", detail="the quote has expired: ask for a new one")
        if redeemer.signer is not None and str(redeemer.signer.pubkey()) != redeemer.wallet:
            return Settlement(quote.id, "refused", "rejected", detail="the signer is not the wallet's key")
        customer: Keypair | Pubkey = redeemer.signer or Pubkey.from_string(redeemer.wallet)
        fees = 0
        for attempt in range(1, self.max_attempts + 1):
            reserves = self.reserves()
            out = self._out(reserves, quote.points)
            if not pool_math.within_slippage(out, quote.amount_out, quote.slippage_bps):
                return Settlement(quote.id, "refused", "slippage", fee_lamports=fees,
                                  detail=f"{out} {self.out.symbol} units now, below the quote's minimum {quote.min_out}")
            refused = self._precheck(quote, _pubkey(customer), out, delegated=redeemer.signer is None)
            if refused:
                return Settlement(quote.id, "refused", refused[0], fee_lamports=fees, detail=refused[1])
            tx = self._transaction(quote, customer, out, reserves.nonce)
            signature = str(tx.signatures[0])
            # A first stablecoin payout creates the customer's token account: its rent is the platform's cost.
            rent = self.cluster.minimum_balance(165) if self.out.mint is not None and self.cluster.account(
                self._out_account(_pubkey(customer))) is None else 0
            try:
                self.cluster.send(tx)
                return self._settled(quote, out, signature, fees + self._fee(tx) + rent)
            except ClusterError as e:
                if e.outcome_unknown:
                    return self._resolve_unknown(quote, out, tx, fees)
                if self.cluster.signature_status(signature) == "failed":
                    fees += self._fee(tx)  # executed and reverted: the fee is paid, nothing else moved
                if e.retriable and attempt < self.max_attempts:  # its nonce moved on (chain.cluster)
                    log.info("pool moved before settlement %s landed: re-pricing (attempt %d)", quote.id, attempt)
                    continue
                return Settlement(quote.id, "refused", "chain_error", fee_lamports=fees, reference=signature,
                                  detail=str(e)[:300])
        return Settlement(quote.id, "refused", "chain_error", fee_lamports=fees, detail="the pool kept moving")

    def resolve(self, settlement: Settlement) -> Settlement:
        if settlement.status != "pending" or settlement.reference is None:
            return settlement
        status = self.cluster.signature_status(settlement.reference)
        if status is None:
            self._cancel_nonce()
            status = self.cluster.signature_status(settlement.reference)
        if status == "landed":
            return Settlement(settlement.quote_id, "settled", None, settlement.points_in, settlement.amount_out,
                              settlement.reference, settlement.fee_lamports)
        return Settlement(settlement.quote_id, "refused", "cancelled", reference=settlement.reference,
                          fee_lamports=settlement.fee_lamports, detail="the transaction never landed")

    # --- helpers -----------------------------------------------------------------------------------
    def _precheck(self, quote: Quote, wallet: Pubkey, out: int, delegated: bool = False) -> tuple[str, str] | None:
        if delegated:
            refused = wallet_refusal(self.points, wallet, quote.points, self.authority.pubkey())
            if refused:
                return refused
        elif self.points.balance(wallet) < quote.points:
            return "insufficient_points", "the wallet holds fewer points than the quote"
        if self.out.mint is None and self.cluster.account(wallet) is None and out < self.cluster.minimum_balance(0):
            return "below_minimum", "an empty wallet must receive at least the rent-exempt minimum"
        return None

    def _transaction(self, quote: Quote, customer: Keypair | Pubkey, out: int, nonce: Hash) -> VersionedTransaction:
        """`customer` a Keypair: the wallet signs; a Pubkey: the pool authority moves the points as the
        wallet's approved delegate (spl.approve_checked, signed by the customer beforehand)."""
        p = self.points
        wallet = _pubkey(customer)
        owner = wallet if isinstance(customer, Keypair) else self.authority.pubkey()
        instructions = [
            advance_nonce_account(AdvanceNonceAccountParams(nonce_pubkey=self.nonce_account,
                                                            authorized_pubkey=self.authority.pubkey())),
            spl.transfer_checked(p.token_account(wallet), p.address,
                                 p.token_account(self.authority.pubkey()), owner, quote.points,
                                 POINTS_DECIMALS, p.token_program),
            *self._payout(wallet, out),
            spl.memo(MEMO_PREFIX + quote.id, self.authority.pubkey()),
        ]
        message = MessageV0.try_compile(self.payer.pubkey(), instructions, [], nonce)
        signers = {str(k.pubkey()): k for k in (self.payer, self.authority,
                                                *([customer] if isinstance(customer, Keypair) else []))}
        return VersionedTransaction(message, list(signers.values()))

    def _payout(self, wallet: Pubkey, out: int) -> list:
        if self.out.mint is None:
            return [transfer(TransferParams(from_pubkey=self.authority.pubkey(), to_pubkey=wallet, lamports=out))]
        return [spl.create_associated_token_account_idempotent(self.payer.pubkey(), wallet, self.out.mint),
                spl.transfer_checked(self._out_account(self.authority.pubkey()), self.out.mint,
                                     self._out_account(wallet), self.authority.pubkey(), out, self.out.decimals)]

    @staticmethod
    def _fee(tx: VersionedTransaction) -> int:
        return LAMPORTS_PER_SIGNATURE * len(tx.signatures)

    def _settled(self, quote: Quote, out: int, signature: str, fees: int) -> Settlement:
        return Settlement(quote.id, "settled", None, quote.points, out, signature, fees)

    def _resolve_unknown(self, quote: Quote, out: int, tx: VersionedTransaction, fees: int) -> Settlement:
        pending = Settlement(quote.id, "pending", None, quote.points, out, str(tx.signatures[0]),
                             fees + self._fee(tx))
        try:
            return self.resolve(pending)
        except ClusterError:
            return pending  # the ledger keeps the points reserved and calls resolve() later

    def _cancel_nonce(self) -> None:
        """Advance the pool's nonce alone: any transaction signed against the old value can never land."""
        message = MessageV0.try_compile(self.payer.pubkey(), [advance_nonce_account(AdvanceNonceAccountParams(
            nonce_pubkey=self.nonce_account, authorized_pubkey=self.authority.pubkey()))], [],
            self.cluster.latest_blockhash())
        self.cluster.send(VersionedTransaction(message, [self.payer, self.authority]))
