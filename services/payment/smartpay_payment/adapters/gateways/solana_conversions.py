"""Solana side of the connector: amounts (SOL lamports, USD as a USDC-like SPL token), the receipt
address of a reference, and the SPL Token / Associated Token instructions solders does not build."""

from __future__ import annotations

import hashlib
import struct

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID

TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
MEMO_PROGRAM_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
MINT_SIZE = 82
TOKEN_DECIMALS = 6  # USDC-like
NAME = "solana"


def on_chain_amount(amount: int, currency: str) -> tuple[str, int]:
    """('sol', lamports) for SOL; ('token', base units) for USD paid in the USDC-like token."""
    if currency == "SOL":
        return "sol", amount  # SOL minor unit = lamport (exponent 9)
    if currency == "USD":
        return "token", amount * 10 ** (TOKEN_DECIMALS - 2)
    raise ValueError(f"solana takes SOL or USD (as the USDC-like token), not {currency}")


def receipt_seed(reference: str) -> str:
    """create_with_seed allows 32 characters: a digest keeps every reference distinct."""
    return hashlib.sha256(reference.encode()).hexdigest()[:32]


def receipt_address(operator: Pubkey, reference: str) -> Pubkey:
    return Pubkey.create_with_seed(operator, receipt_seed(reference), SYSTEM_PROGRAM_ID)


def associated_token_address(owner: Pubkey, mint: Pubkey) -> Pubkey:
    return Pubkey.find_program_address([bytes(owner), bytes(TOKEN_PROGRAM_ID), bytes(mint)],
                                       ASSOCIATED_TOKEN_PROGRAM_ID)[0]


def create_associated_token_account(payer: Pubkey, owner: Pubkey, mint: Pubkey) -> Instruction:
    """CreateIdempotent (1): a no-op when the account exists."""
    accounts = [AccountMeta(payer, True, True), AccountMeta(associated_token_address(owner, mint), False, True),
                AccountMeta(owner, False, False), AccountMeta(mint, False, False),
                AccountMeta(SYSTEM_PROGRAM_ID, False, False), AccountMeta(TOKEN_PROGRAM_ID, False, False)]
    return Instruction(ASSOCIATED_TOKEN_PROGRAM_ID, bytes([1]), accounts)


def initialize_mint2(mint: Pubkey, decimals: int, authority: Pubkey) -> Instruction:
    data = bytes([20, decimals]) + bytes(authority) + bytes([0])  # no freeze authority
    return Instruction(TOKEN_PROGRAM_ID, data, [AccountMeta(mint, False, True)])


def mint_to(mint: Pubkey, destination: Pubkey, authority: Pubkey, amount: int) -> Instruction:
    return Instruction(TOKEN_PROGRAM_ID, bytes([7]) + struct.pack("<Q", amount),
                       [AccountMeta(mint, False, True), AccountMeta(destination, False, True),
                        AccountMeta(authority, True, False)])


def transfer_checked(source: Pubkey, mint: Pubkey, destination: Pubkey, owner: Pubkey, amount: int,
                     decimals: int = TOKEN_DECIMALS) -> Instruction:
    return Instruction(TOKEN_PROGRAM_ID, bytes([12]) + struct.pack("<QB", amount, decimals),
                       [AccountMeta(source, False, True), AccountMeta(mint, False, False),
                        AccountMeta(destination, False, True), AccountMeta(owner, True, False)])


def memo(text: str, signer: Pubkey) -> Instruction:
    return Instruction(MEMO_PROGRAM_ID, text.encode(), [AccountMeta(signer, True, False)])


def token_balance(account_data: bytes) -> int:
    """An SPL token account: mint(32) owner(32) amount(u64) ..."""
    return struct.unpack_from("<Q", account_data, 64)[0]
