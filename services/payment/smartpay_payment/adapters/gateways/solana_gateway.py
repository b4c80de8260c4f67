"""Solana connector: a payment is one signed transaction from the customer's wallet to the merchant's
(SOL, or USD as a USDC-like SPL token) that also creates a receipt account derived from our reference,
so a repeated charge fails on chain and status() is one account read. Solana has no hold: authorize
settles, capture confirms, void is refused (the saga refunds instead)."""

from __future__ import annotations

import hashlib
import time

from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import (ID as SYSTEM_PROGRAM_ID, CreateAccountWithSeedParams, TransferParams,
                                    create_account_with_seed, transfer)
from solders.transaction import VersionedTransaction

from smartpay_payment.adapters.gateways import solana_conversions as conv
from smartpay_payment.domain.charges import ChargeRequest, ChargeResult, GatewayError, RefundResult
from smartpay_payment.service_layer.ports import Gateway
from smartpay_payment.adapters.gateways.solana_cluster import ClusterError, SolanaCluster


class SandboxWallets:
    """Custodial test wallets derived from a namespace: every process derives the same keys for a token
    (`sol_<name>`) or a merchant. Never for real funds: production signs on the customer's device."""

    def __init__(self, namespace: str = "smartpay-sandbox"):
        self._namespace = namespace

    def _key(self, kind: str, name: str) -> Keypair:
        return Keypair.from_seed(hashlib.sha256(f"{self._namespace}:{kind}:{name}".encode()).digest())

    def customer(self, token: str) -> Keypair:
        return self._key("customer", token)

    def merchant(self, merchant_id: str) -> Keypair:
        return self._key("merchant", merchant_id)

    def operator(self) -> Keypair:
        return self._key("operator", "fee-payer")

    def mint(self) -> Keypair:
        return self._key("mint", "usdc-like")


class SolanaGateway(Gateway):
    name = conv.NAME

    def __init__(self, cluster: SolanaCluster, wallets: SandboxWallets, operator: Keypair | None = None):
        """`operator`: the fee payer (from Secrets Manager in bootstrap); tests may use the derived one."""
        self.cluster = cluster
        self.wallets = wallets
        self.operator = operator or wallets.operator()
        self.mint = wallets.mint().pubkey()

    def __repr__(self) -> str:
        return f"SolanaGateway(operator={self.operator.pubkey()}, keys=***)"

    # --- sandbox setup -----------------------------------------------------------------------------
    def ensure_mint(self) -> None:
        if self.cluster.account(self.mint) is not None:
            return
        mint = self.wallets.mint()
        rent = self.cluster.minimum_balance(conv.MINT_SIZE)
        from solders.system_program import CreateAccountParams, create_account

        self._send([create_account(CreateAccountParams(
            from_pubkey=self.operator.pubkey(), to_pubkey=mint.pubkey(), lamports=rent, space=conv.MINT_SIZE,
            owner=conv.TOKEN_PROGRAM_ID)), conv.initialize_mint2(mint.pubkey(), conv.TOKEN_DECIMALS,
                                                                  self.operator.pubkey())], [self.operator, mint])

    def fund_token(self, owner: Pubkey, units: int) -> None:
        """Mint USDC-like tokens to `owner` (sandbox only: the operator is the mint authority)."""
        self.ensure_mint()
        ata = conv.associated_token_address(owner, self.mint)
        self._send([conv.create_associated_token_account(self.operator.pubkey(), owner, self.mint),
                    conv.mint_to(self.mint, ata, self.operator.pubkey(), units)], [self.operator])

    def token_balance(self, owner: Pubkey) -> int:
        found = self.cluster.account(conv.associated_token_address(owner, self.mint))
        return conv.token_balance(found.data) if found else 0

    # --- the interface -----------------------------------------------------------------------------
    def _send(self, instructions, signers) -> str:
        message = MessageV0.try_compile(self.operator.pubkey(), instructions, [], self.cluster.latest_blockhash())
        return self.cluster.send(VersionedTransaction(message, signers))

    def _receipt_instruction(self, reference: str):
        return create_account_with_seed(CreateAccountWithSeedParams(
            from_pubkey=self.operator.pubkey(), to_pubkey=conv.receipt_address(self.operator.pubkey(), reference),
            base=self.operator.pubkey(), seed=conv.receipt_seed(reference),
            lamports=self.cluster.minimum_balance(0), space=0, owner=SYSTEM_PROGRAM_ID))

    def _transfer(self, kind: str, source: Keypair, destination: Pubkey, units: int) -> list:
        if kind == "sol":
            return [transfer(TransferParams(from_pubkey=source.pubkey(), to_pubkey=destination, lamports=units))]
        return [conv.create_associated_token_account(self.operator.pubkey(), destination, self.mint),
                conv.transfer_checked(conv.associated_token_address(source.pubkey(), self.mint), self.mint,
                                      conv.associated_token_address(destination, self.mint), source.pubkey(),
                                      units)]

    def _balance(self, kind: str, owner: Pubkey) -> int:
        if kind == "sol":
            found = self.cluster.account(owner)
            return found.lamports if found else 0
        return self.token_balance(owner)

    def _exists(self, reference: str) -> bool:
        try:
            return self.cluster.account(conv.receipt_address(self.operator.pubkey(), reference)) is not None
        except ClusterError as e:
            raise GatewayError("rpc_error", str(e), retriable=e.retriable, gateway=self.name) from e

    def receipt_exists(self, reference: str) -> bool:
        """Whether a transfer (charge or refund) for this reference is on chain."""
        return self._exists(reference)

    def _reference(self, kind: str, request: ChargeRequest, customer: Pubkey) -> str:
        receipt = conv.receipt_address(self.operator.pubkey(), request.reference)
        return f"sol:{kind}:{receipt}:{customer}:{request.merchant_id}"

    def authorize(self, request: ChargeRequest) -> ChargeResult:
        started = time.perf_counter()
        try:
            kind, units = conv.on_chain_amount(request.amount, request.currency)
        except ValueError as e:
            raise GatewayError("unsupported_currency", str(e), retriable=True, gateway=self.name) from e
        customer = self.wallets.customer(request.method_token)
        merchant = self.wallets.merchant(request.merchant_id).pubkey()
        ref = self._reference(kind, request, customer.pubkey())
        done = ChargeResult(ref, "captured", request.amount, request.amount)
        if self._exists(request.reference):
            return done
        if self._balance(kind, customer.pubkey()) < units:
            raise GatewayError("insufficient_funds", "wallet balance below the amount", retriable=False,
                               declined=True, gateway=self.name)
        instructions = [self._receipt_instruction(request.reference),
                        *self._transfer(kind, customer, merchant, units),
                        conv.memo(request.reference, self.operator.pubkey())]
        try:
            self._send(instructions, [self.operator, customer])
        except ClusterError as e:
            if self._exists(request.reference):  # a concurrent try won: one transfer, on chain
                return done
            raise GatewayError("transaction_failed", str(e)[:300], retriable=e.retriable, gateway=self.name,
                               latency_ms=(time.perf_counter() - started) * 1000) from e
        ms = (time.perf_counter() - started) * 1000
        return ChargeResult(ref, "captured", request.amount, request.amount, latency_ms=ms)

    def capture(self, gateway_reference: str, amount: int, reference: str) -> ChargeResult:
        receipt = gateway_reference.split(":")[2]
        if self.cluster.account(Pubkey.from_string(receipt)) is None:
            raise GatewayError("not_found", "no transfer for this reference", retriable=False, gateway=self.name)
        return ChargeResult(gateway_reference, "captured", amount, amount)

    def refund(self, gateway_reference: str, amount: int, reference: str) -> RefundResult:
        _, kind, _, customer, merchant_id = gateway_reference.split(":", 4)
        units = amount if kind == "sol" else amount * 10 ** (conv.TOKEN_DECIMALS - 2)
        receipt = str(conv.receipt_address(self.operator.pubkey(), reference))
        if self._exists(reference):
            return RefundResult(receipt, amount)
        merchant = self.wallets.merchant(merchant_id)
        try:
            self._send([self._receipt_instruction(reference),
                        *self._transfer(kind, merchant, Pubkey.from_string(customer), units),
                        conv.memo(reference, self.operator.pubkey())], [self.operator, merchant])
        except ClusterError as e:
            if self._exists(reference):
                return RefundResult(receipt, amount)
            raise GatewayError("refund_failed", str(e)[:300], retriable=e.retriable, gateway=self.name) from e
        return RefundResult(receipt, amount)

    def void(self, gateway_reference: str, reference: str) -> ChargeResult:
        raise GatewayError("void_unsupported", "a Solana transfer is final: refund it", retriable=False,
                           gateway=self.name)

    def status(self, request: ChargeRequest) -> ChargeResult | None:
        if not self._exists(request.reference):
            return None
        kind, _ = conv.on_chain_amount(request.amount, request.currency)
        customer = self.wallets.customer(request.method_token).pubkey()
        return ChargeResult(self._reference(kind, request, customer), "captured", request.amount, request.amount)
