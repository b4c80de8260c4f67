"""Test and demo helpers: the tables as Terraform creates them, API calls with a merchant's verified claims."""

from __future__ import annotations

import json
import uuid
from typing import Any

from smartpay_rewards.adapters.dynamodb import BY_SEQ


def create_tables(ddb: Any, ledger_table: str = "smartpay-rewards-ledger",
                  accounts_table: str = "smartpay-rewards-accounts",
                  challenges_table: str = "smartpay-rewards-challenges",
                  journal_table: str = "smartpay-rewards-mint-journal",
                  decisions_table: str = "smartpay-rewards-offer-decisions") -> None:
    """The tables of infra/terraform/services/rewards (keys, the ledger's `by_seq` local index)."""
    ddb.create_table(TableName=challenges_table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "merchant_id", "AttributeType": "S"},
                                           {"AttributeName": "nonce", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "merchant_id", "KeyType": "HASH"},
                                {"AttributeName": "nonce", "KeyType": "RANGE"}])
    ddb.create_table(TableName=decisions_table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    ddb.create_table(TableName=journal_table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "batch_id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "batch_id", "KeyType": "HASH"}])
    ddb.create_table(TableName=ledger_table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "account_key", "AttributeType": "S"},
                                           {"AttributeName": "entry_id", "AttributeType": "S"},
                                           {"AttributeName": "seq", "AttributeType": "N"}],
                     KeySchema=[{"AttributeName": "account_key", "KeyType": "HASH"},
                                {"AttributeName": "entry_id", "KeyType": "RANGE"}],
                     LocalSecondaryIndexes=[{"IndexName": BY_SEQ, "Projection": {"ProjectionType": "ALL"},
                                             "KeySchema": [{"AttributeName": "account_key", "KeyType": "HASH"},
                                                           {"AttributeName": "seq", "KeyType": "RANGE"}]}])
    ddb.create_table(TableName=accounts_table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])


def call(method: str, path: str, *, merchant: str = "m_acme", resource: str | None = None,
         params: dict | None = None, query: dict | None = None, body: dict | str | None = None
         ) -> tuple[int, dict | None]:
    """One request through the API handler, as API Gateway hands it over with the merchant's verified claims."""
    from smartpay_shared.runtime.lambda_context import LocalLambdaContext
    from smartpay_shared.testing import merchant_claims

    from smartpay_rewards.entrypoints import api

    headers = {"Accept": "application/json", **({"Content-Type": "application/json"} if body is not None else {})}
    event = {
        "resource": resource or path, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": params, "stageVariables": None, "isBase64Encoded": False,
        "body": body if body is None or isinstance(body, str) else json.dumps(body),
        "requestContext": {"resourcePath": resource or path, "httpMethod": method, "path": path, "stage": "local",
                           "requestId": str(uuid.uuid4()), "accountId": "123456789012",
                           "identity": {"sourceIp": "127.0.0.1"},
                           "authorizer": {"claims": {**merchant_claims(merchant), "token_use": "id"}}},
    }
    response = api.lambda_handler(event, LocalLambdaContext("rewards-api"))
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def rewards_call(customer_id: str, *, merchant: str = "m_acme", query: dict | None = None) -> tuple[int, dict | None]:
    from urllib.parse import quote

    return call("GET", f"/rewards/{quote(customer_id, safe='')}", merchant=merchant, resource="/rewards/{customer_id}",
                params={"customer_id": customer_id}, query=query)


def link_wallet_call(customer_id: str, wallet: Any, merchant: str = "m_acme") -> tuple[int, dict | None]:
    """Link `wallet` (a solders Keypair: it signs the challenge, as a wallet's signMessage) through the API."""
    status, body = call("POST", f"/rewards/{customer_id}/wallet/challenge", merchant=merchant,
                        resource="/rewards/{customer_id}/wallet/challenge", params={"customer_id": customer_id},
                        body={"wallet": str(wallet.pubkey())})
    if status != 201:
        return status, body
    signature = str(wallet.sign_message(body["message"].encode()))
    return call("POST", f"/rewards/{customer_id}/wallet", merchant=merchant, resource="/rewards/{customer_id}/wallet",
                params={"customer_id": customer_id}, body={"nonce": body["nonce"], "signature": signature})


def redeem_call(customer_id: str, body: dict, merchant: str = "m_acme") -> tuple[int, dict | None]:
    return call("POST", f"/rewards/{customer_id}/redeem", merchant=merchant, resource="/rewards/{customer_id}/redeem",
                params={"customer_id": customer_id}, body=body)


def approve_delegate(points: Any, wallet: Any, delegate: Any, amount: int) -> str:
    """The customer's own transaction (signed and paid by the wallet): `delegate` (the pool authority) may move
    up to `amount` of the wallet's points; a redemption needs it (the service never holds a customer's key)."""
    from solders.message import MessageV0
    from solders.transaction import VersionedTransaction

    from smartpay_rewards.chain import spl
    from smartpay_rewards.chain.points_mint import POINTS_DECIMALS

    ix = spl.approve_checked(points.token_account(wallet.pubkey()), points.address, delegate, wallet.pubkey(),
                             amount, POINTS_DECIMALS, points.token_program)
    message = MessageV0.try_compile(wallet.pubkey(), [ix], [], points.cluster.latest_blockhash())
    return points.cluster.send(VersionedTransaction(message, [wallet]))
