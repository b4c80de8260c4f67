"""The SPL Token / Token-2022 / Associated Token / Memo instructions solders does not build, and the account
layouts the chain reader parses. Byte layouts follow the programs' instruction enums (spl-token 4,
spl-token-2022 extensions: PermanentDelegate = 35)."""

from __future__ import annotations

import struct

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID

TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM_ID = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
MEMO_PROGRAM_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")

MINT_SIZE = 82
# Token-2022 mint with one extension: the base mint padded to the account length (165), the account-type
# byte, then TLV (type u16, length u16, value): PermanentDelegate's value is one pubkey.
MINT_2022_PERMANENT_DELEGATE_SIZE = 165 + 1 + 2 + 2 + 32
TRANSACTION_SIZE_LIMIT = 1232  # bytes of a serialized transaction (packet data size)

_MINT_TO, _BURN, _TRANSFER_CHECKED, _INITIALIZE_MINT2, _INITIALIZE_PERMANENT_DELEGATE = 7, 8, 12, 20, 35


def associated_token_address(owner: Pubkey, mint: Pubkey, token_program: Pubkey = TOKEN_PROGRAM_ID) -> Pubkey:
    return Pubkey.find_program_address([bytes(owner), bytes(token_program), bytes(mint)],
                                       ASSOCIATED_TOKEN_PROGRAM_ID)[0]


def create_associated_token_account_idempotent(payer: Pubkey, owner: Pubkey, mint: Pubkey,
                                               token_program: Pubkey = TOKEN_PROGRAM_ID) -> Instruction:
    """CreateIdempotent (1): a no-op when the account exists (a retried batch does not fail on it)."""
    accounts = [AccountMeta(payer, True, True),
                AccountMeta(associated_token_address(owner, mint, token_program), False, True),
                AccountMeta(owner, False, False), AccountMeta(mint, False, False),
                AccountMeta(SYSTEM_PROGRAM_ID, False, False), AccountMeta(token_program, False, False)]
    return Instruction(ASSOCIATED_TOKEN_PROGRAM_ID, bytes([1]), accounts)


def initialize_mint2(mint: Pubkey, decimals: int, authority: Pubkey,
                     token_program: Pubkey = TOKEN_PROGRAM_ID) -> Instruction:
    data = bytes([_INITIALIZE_MINT2, decimals]) + bytes(authority) + bytes([0])  # no freeze authority
    return Instruction(token_program, data, [AccountMeta(mint, False, True)])


def initialize_permanent_delegate(mint: Pubkey, delegate: Pubkey) -> Instruction:
    """Token-2022 only, before InitializeMint2: `delegate` may transfer or burn from every account of the mint."""
    return Instruction(TOKEN_2022_PROGRAM_ID, bytes([_INITIALIZE_PERMANENT_DELEGATE]) + bytes(delegate),
                       [AccountMeta(mint, False, True)])


def mint_to(mint: Pubkey, destination: Pubkey, authority: Pubkey, amount: int,
            token_program: Pubkey = TOKEN_PROGRAM_ID) -> Instruction:
    return Instruction(token_program, bytes([_MINT_TO]) + struct.pack("<Q", amount),
                       [AccountMeta(mint, False, True), AccountMeta(destination, False, True),
                        AccountMeta(authority, True, False)])


def burn(account: Pubkey, mint: Pubkey, authority: Pubkey, amount: int,
         token_program: Pubkey = TOKEN_PROGRAM_ID) -> Instruction:
    return Instruction(token_program, bytes([_BURN]) + struct.pack("<Q", amount),
                       [AccountMeta(account, False, True), AccountMeta(mint, False, True),
                        AccountMeta(authority, True, False)])


def transfer_checked(source: Pubkey, mint: Pubkey, destination: Pubkey, owner: Pubkey, amount: int,
                     decimals: int, token_program: Pubkey = TOKEN_PROGRAM_ID) -> Instruction:
    return Instruction(token_program, bytes([_TRANSFER_CHECKED]) + struct.pack("<QB", amount, decimals),
                       [AccountMeta(source, False, True), AccountMeta(mint, False, False),
                        AccountMeta(destination, False, True), AccountMeta(owner, True, False)])


def approve_checked(source: Pubkey, mint: Pubkey, delegate: Pubkey, owner: Pubkey, amount: int, decimals: int,
                    token_program: Pubkey = TOKEN_PROGRAM_ID) -> Instruction:
    """The owner lets `delegate` move up to `amount` from `source` (a redemption's standing approval)."""
    return Instruction(token_program, bytes([13]) + struct.pack("<QB", amount, decimals),
                       [AccountMeta(source, False, True), AccountMeta(mint, False, False),
                        AccountMeta(delegate, False, False), AccountMeta(owner, True, False)])


def token_account_delegation(data: bytes) -> tuple[Pubkey | None, int]:
    """(delegate, delegated amount) of an SPL token account: COption<Pubkey> at 72, delegated_amount at 121."""
    if struct.unpack_from("<I", data, 72)[0] != 1:
        return None, 0
    return Pubkey.from_bytes(data[76:108]), struct.unpack_from("<Q", data, 121)[0]


def memo(text: str, signer: Pubkey) -> Instruction:
    return Instruction(MEMO_PROGRAM_ID, text.encode(), [AccountMeta(signer, True, False)])


def token_account_amount(data: bytes) -> int:
    """An SPL token account (both programs): mint(32) owner(32) amount(u64) ..."""
    return struct.unpack_from("<Q", data, 64)[0]


def token_account_mint(data: bytes) -> Pubkey:
    return Pubkey.from_bytes(data[:32])


def mint_supply(data: bytes) -> int:
    """A mint (both programs): mint_authority COption (4 + 32), supply u64, decimals u8, ..."""
    return struct.unpack_from("<Q", data, 36)[0]


def mint_decimals(data: bytes) -> int:
    return data[44]


def mint_authority(data: bytes) -> Pubkey | None:
    tag = struct.unpack_from("<I", data, 0)[0]
    return Pubkey.from_bytes(data[4:36]) if tag == 1 else None
