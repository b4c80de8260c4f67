"""The vault in the payments table (no table of its own): items keyed `vault#<merchant>#<vault id>`,
so a lookup is merchant-scoped by construction (another merchant's id is simply not there)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from smartpay_payment.adapters.repository import RepositoryError
from smartpay_payment.domain.vault import VaultedMethod

KEY_PREFIX = "vault#"


def vault_key(merchant_id: str, vault_id: str) -> str:
    return f"{KEY_PREFIX}{merchant_id}#{vault_id}"


class DynamoVault:
    def __init__(self, dynamodb_client: Any, table: str):
        self._db = dynamodb_client
        self._table = table

    def add(self, method: VaultedMethod) -> None:
        try:
            self._db.put_item(TableName=self._table, ConditionExpression="attribute_not_exists(payment_id)",
                              Item={"payment_id": {"S": vault_key(method.merchant_id, method.vault_id)},
                                    "merchant_id": {"S": method.merchant_id}, "kind": {"S": "vault"},
                                    "vaulted": {"S": method.model_dump_json()}})
        except ClientError as e:
            raise RepositoryError(f"vault add {method.vault_id}: {e}") from e

    def get(self, merchant_id: str, vault_id: str) -> VaultedMethod | None:
        try:
            item = self._db.get_item(TableName=self._table, Key={"payment_id": {"S": vault_key(merchant_id, vault_id)}},
                                     ConsistentRead=True).get("Item")
        except ClientError as e:
            raise RepositoryError(f"vault get {vault_id}: {e}") from e
        if not item or item["merchant_id"]["S"] != merchant_id:
            return None
        return VaultedMethod.model_validate_json(item["vaulted"]["S"])
