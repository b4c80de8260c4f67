"""The platform's points token: an SPL mint (decimals 0: one token = one point) whose mint authority is the
platform's key. Two flavours, chosen at creation and read back from the chain afterwards:
- "offset" (default): classic SPL Token. The platform cannot take tokens back from a customer's wallet, so a
  refund's clawback of already-minted points is offset against future mints.
- "permanent_delegate_burn": Token-2022 with the PermanentDelegate extension set to the mint authority, which
  may then burn from any holder's account; a refund burns what the wallet still holds and offsets the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction

from smartpay_rewards.chain import spl
from smartpay_rewards.chain.ports import ChainCluster

RefundMode = Literal["offset", "permanent_delegate_burn"]
POINTS_DECIMALS = 0
LAMPORTS_PER_SIGNATURE = 5000  # the base fee; we set no priority fee


class MintSetupError(Exception):
    pass


@dataclass(frozen=True)
class PointsMint:
    """Addresses and keys of the points token. `authority` mints (and, in burn mode, burns); `payer` pays
    fees and rent (may be the same key). Keys never appear in repr."""

    cluster: ChainCluster
    address: Pubkey
    authority: Keypair
    payer: Keypair
    refund_mode: RefundMode = "offset"

    def __repr__(self) -> str:
        return f"PointsMint(address={self.address}, authority={self.authority.pubkey()}, mode={self.refund_mode})"

    @property
    def token_program(self) -> Pubkey:
        return spl.TOKEN_2022_PROGRAM_ID if self.refund_mode == "permanent_delegate_burn" else spl.TOKEN_PROGRAM_ID

    # --- creation ----------------------------------------------------------------------------------
    @classmethod
    def create(cls, cluster: ChainCluster, mint: Keypair, authority: Keypair, payer: Keypair,
               refund_mode: RefundMode = "offset") -> PointsMint:
        """Create the mint account (idempotent: an existing mint is checked, not recreated)."""
        points = cls(cluster, mint.pubkey(), authority, payer, refund_mode)
        if cluster.account(mint.pubkey()) is not None:
            return cls.load(cluster, mint.pubkey(), authority, payer)
        if refund_mode == "permanent_delegate_burn":
            space, program = spl.MINT_2022_PERMANENT_DELEGATE_SIZE, spl.TOKEN_2022_PROGRAM_ID
            init = [spl.initialize_permanent_delegate(mint.pubkey(), authority.pubkey())]
        else:
            space, program, init = spl.MINT_SIZE, spl.TOKEN_PROGRAM_ID, []
        instructions = [create_account(CreateAccountParams(
            from_pubkey=payer.pubkey(), to_pubkey=mint.pubkey(), lamports=cluster.minimum_balance(space),
            space=space, owner=program)), *init,
            spl.initialize_mint2(mint.pubkey(), POINTS_DECIMALS, authority.pubkey(), program)]
        points.send(instructions, [payer, mint])
        return points

    @classmethod
    def load(cls, cluster: ChainCluster, address: Pubkey, authority: Keypair, payer: Keypair) -> PointsMint:
        """An existing mint: its program says the refund mode; the authority on chain must be ours."""
        found = cluster.account(address)
        if found is None:
            raise MintSetupError(f"no mint at {address}")
        if found.owner == spl.TOKEN_2022_PROGRAM_ID:
            mode: RefundMode = "permanent_delegate_burn"
        elif found.owner == spl.TOKEN_PROGRAM_ID:
            mode = "offset"
        else:
            raise MintSetupError(f"{address} is not a token mint")
        if spl.mint_authority(found.data) != authority.pubkey():
            raise MintSetupError(f"the mint authority of {address} is not the configured key")
        if spl.mint_decimals(found.data) != POINTS_DECIMALS:
            raise MintSetupError(f"{address} has decimals {spl.mint_decimals(found.data)}, not {POINTS_DECIMALS}")
        return cls(cluster, address, authority, payer, mode)

    # --- reads -------------------------------------------------------------------------------------
    def token_account(self, wallet: Pubkey) -> Pubkey:
        return spl.associated_token_address(wallet, self.address, self.token_program)

    def balance(self, wallet: Pubkey) -> int:
        found = self.cluster.account(self.token_account(wallet))
        return spl.token_account_amount(found.data) if found else 0

    def has_token_account(self, wallet: Pubkey) -> bool:
        return self.cluster.account(self.token_account(wallet)) is not None

    def supply(self) -> int:
        found = self.cluster.account(self.address)
        if found is None:
            raise MintSetupError(f"no mint at {self.address}")
        return spl.mint_supply(found.data)

    def token_account_rent(self) -> int:
        # Token-2022 token accounts created by the ATA program carry ImmutableOwner (165 + 1 + 4 bytes).
        return self.cluster.minimum_balance(170 if self.refund_mode == "permanent_delegate_burn" else 165)

    # --- writes ------------------------------------------------------------------------------------
    def compile(self, instructions, blockhash=None) -> VersionedTransaction:
        message = MessageV0.try_compile(self.payer.pubkey(), instructions, [],
                                        blockhash or self.cluster.latest_blockhash())
        signers = [self.payer] if self.payer.pubkey() == self.authority.pubkey() else [self.payer, self.authority]
        needed = {message.account_keys[i] for i in range(message.header.num_required_signatures)}
        return VersionedTransaction(message, [k for k in signers if k.pubkey() in needed])

    def send(self, instructions, signers: list[Keypair]) -> str:
        message = MessageV0.try_compile(self.payer.pubkey(), instructions, [], self.cluster.latest_blockhash())
        return self.cluster.send(VersionedTransaction(message, signers))

    def burn_from(self, wallet: Pubkey, amount: int, memo: str) -> str:
        """Permanent-delegate burn (refund clawback) of `amount` from `wallet`'s token account."""
        if self.refund_mode != "permanent_delegate_burn":
            raise MintSetupError("this mint has no permanent delegate: refunds are offset, not burned")
        return self.cluster.send(self.compile([
            spl.burn(self.token_account(wallet), self.address, self.authority.pubkey(), amount, self.token_program),
            spl.memo(memo, self.authority.pubkey())]))
