"""Vault use cases: keep a card as its gateway tokens (each checked with its gateway first), and
resolve what POST /pay names (a vault id or a raw gateway token) into the tokens per gateway."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from smartpay_payment.domain.charges import GatewayError
from smartpay_payment.service_layer.ports import Gateway
from smartpay_payment.adapters.vault import DynamoVault
from smartpay_payment.domain.vault import VaultedMethod, agree, new_vault_id
from smartpay_payment.service_layer.saga import NATIVE_GATEWAY


class UnknownMethod(LookupError):
    """A vault id this merchant does not have (the API answers 422 on the field)."""


class TokenRejected(ValueError):
    def __init__(self, gateway: str, error: GatewayError):
        super().__init__(f"{gateway} does not accept this token: {error.code}")
        self.gateway = gateway


class VaultService:
    def __init__(self, vault: DynamoVault, gateways: dict[str, Gateway]):
        self.vault = vault
        self.gateways = gateways

    def enroll(self, merchant_id: str, customer_id: str, gateway_tokens: dict[str, str]) -> VaultedMethod:
        """Each token is described by its gateway (unknown or unusable -> TokenRejected); they must be
        of one card (InconsistentMethod). The display fields come from the gateways, not the client."""
        details = {}
        for name, token in gateway_tokens.items():
            gateway = self.gateways.get(name)
            if gateway is None:
                raise TokenRejected(name, GatewayError("gateway_disabled", "not enabled", retriable=False))
            try:
                details[name] = asdict(gateway.describe(token))
            except GatewayError as e:
                raise TokenRejected(name, e) from e
        method = VaultedMethod(vault_id=new_vault_id(), merchant_id=merchant_id,
                               customer_id=customer_id, gateway_tokens=gateway_tokens,
                               created_at=datetime.now(UTC), **agree(details))
        self.vault.add(method)
        return method

    def get(self, merchant_id: str, vault_id: str) -> VaultedMethod:
        method = self.vault.get(merchant_id, vault_id)
        if method is None:
            raise UnknownMethod(vault_id)
        return method

    def resolve(self, merchant_id: str, method: dict) -> tuple[dict, dict[str, str]]:
        """(the event's payment_method, the tokens per gateway). A vault id becomes the method's token
        on the bus (gateway tokens stay in the record) with the vault's last4/brand."""
        vault_id = method.get("vault_id")
        if not vault_id:
            event_method = {k: v for k, v in method.items() if k != "vault_id"}
            return event_method, {NATIVE_GATEWAY[method["type"]]: method["token"]}
        vaulted = self.get(merchant_id, vault_id)
        if vaulted.type != method["type"]:
            raise UnknownMethod(vault_id)
        return ({"type": vaulted.type, "token": vault_id, "last4": vaulted.last4, "brand": vaulted.brand},
                dict(vaulted.gateway_tokens))
