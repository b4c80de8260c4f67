"""API Lambda of the rewards service: a customer's points (balance, debt, history) and active offers, the
wallet link (a challenge the wallet signs), and redemption through the exchange. The merchant is the verified
token's (smartpay_shared.api.merchant_id); a customer without ledger entries at this merchant, another
merchant's customer included, is a 404. Refusals are RFC 9457 problems naming the field."""

from datetime import UTC, datetime
from importlib.metadata import version
from typing import Annotated, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from smartpay_shared.api import Unavailable, build_resolver, merchant_id
from smartpay_shared.text import NO_CONTROL

from smartpay_rewards import bootstrap
from smartpay_rewards.chain.ports import ClusterError
from smartpay_rewards.chain.secrets import SecretError
from smartpay_rewards.chain.wallets import WalletLinkRefused
from smartpay_rewards.domain.errors import (AccountNotFound, ChallengeMismatch, InsufficientPoints,
                                            WalletAlreadyLinked, WalletNotLinked)
from smartpay_rewards.entrypoints.views import redemption_view, statement_view
from smartpay_rewards.exchange.ports import QuoteRefused
from smartpay_rewards.service_layer import ledger, onchain, redeem

logger = Logger(service="rewards")
app = build_resolver("SmartPay rewards", version("smartpay-rewards"))

CustomerIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_CONTROL)]


class ChallengeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    wallet: str = Field(min_length=1, max_length=64, description="The Solana address (base58) to link.")


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nonce: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    signature: str = Field(min_length=1, max_length=128, description="base58 ed25519 signature of the message.")


class RedeemBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    points: int = Field(ge=1, le=10**12, strict=True)
    asset: Literal["SOL"] = Field(description="What the points buy: SOL (from the pool's reserve, or bought at "
                                  "the exchange with the ccxt venue).")
    slippage_bps: int = Field(default=100, ge=0, le=5_000, strict=True)


def _field(status: int, message: str, field: str) -> Response:
    # The house shape for a field refusal: smartpay_shared.problems turns it into a problem with `errors`.
    return Response(status_code=status, content_type="application/json",
                    body={"statusCode": status, "message": message, "field": field})


def _conflict(message: str) -> Response:
    return Response(status_code=409, content_type="application/json", body={"statusCode": 409, "message": message})


_LINK_FIELD = {"invalid_wallet": "wallet", "bad_signature": "signature"}
_QUOTE_FIELD = {"rejected": "asset", "below_minimum": "points", "insufficient_liquidity": "points"}


@app.exception_handler(AccountNotFound)
def _not_found(exc: AccountNotFound) -> Response:
    raise NotFoundError(f"no rewards for customer {exc}")


@app.exception_handler(WalletLinkRefused)
def _link_refused(exc: WalletLinkRefused) -> Response:
    return _field(422, f"{exc.reason}: {exc.detail}", _LINK_FIELD.get(exc.reason, "nonce"))


@app.exception_handler(ChallengeMismatch)
def _mismatch(exc: ChallengeMismatch) -> Response:
    return _field(422, f"customer_mismatch: {exc}", "nonce")


@app.exception_handler(WalletAlreadyLinked)
def _already_linked(exc: WalletAlreadyLinked) -> Response:
    return _conflict("another wallet is already linked to this customer")


@app.exception_handler(WalletNotLinked)
def _no_wallet(exc: WalletNotLinked) -> Response:
    return _conflict("no wallet is linked to this customer: link one (POST /rewards/{customer_id}/wallet) first")


@app.exception_handler(InsufficientPoints)
def _insufficient(exc: InsufficientPoints) -> Response:
    return _field(422, f"insufficient_points: {exc}", "points")


@app.exception_handler(QuoteRefused)
def _quote_refused(exc: QuoteRefused) -> Response:
    if exc.reason == "unavailable":
        raise Unavailable("the exchange", exc)
    return _field(422, f"{exc.reason}: {exc.detail}", _QUOTE_FIELD.get(exc.reason, "points"))


@app.exception_handler(bootstrap.ChainNotSetUp)
def _no_chain(exc: bootstrap.ChainNotSetUp) -> Response:
    raise Unavailable("the rewards chain", exc)


@app.exception_handler(ClusterError)
def _cluster(exc: ClusterError) -> Response:
    raise Unavailable("the Solana cluster", exc)


@app.exception_handler(SecretError)
def _keys(exc: SecretError) -> Response:
    # A key secret without a (valid) value: a deployment not finished (chain-setup, the exchange API key).
    raise Unavailable("the rewards keys", exc)


@app.get("/rewards/<customer_id>")
def get_rewards(customer_id: CustomerIdPath,
                limit: Annotated[int, Query(ge=1, le=100)] = 20,
                before: Annotated[int | None, Query(ge=2, le=2**53 - 1)] = None):
    rewards = bootstrap.service()
    found = ledger.statement(merchant_id(app), customer_id, rewards.uow, rewards.offer_policy, limit=limit,
                             before_seq=before, now=datetime.now(UTC))
    return statement_view(found)


@app.post("/rewards/<customer_id>/wallet/challenge")
def wallet_challenge(customer_id: CustomerIdPath, request: ChallengeRequest):
    """The message the wallet signs to prove it is the customer's (single use, expires)."""
    rewards = bootstrap.service()
    challenge = onchain.issue_challenge(merchant_id(app), customer_id, request.wallet, rewards.uow, rewards.verifier)
    return Response(status_code=201, content_type="application/json", body={
        "nonce": challenge.nonce, "wallet": challenge.wallet, "message": challenge.message.decode(),
        "expires_at": datetime.fromtimestamp(challenge.expires_at, UTC).isoformat()})


@app.post("/rewards/<customer_id>/wallet")
def link_wallet(customer_id: CustomerIdPath, request: LinkRequest):
    rewards = bootstrap.service()
    linked = onchain.link_wallet(merchant_id(app), customer_id, request.nonce, request.signature, rewards.uow,
                                 rewards.verifier)
    return {"customer_id": linked.customer_id, "wallet": linked.wallet}


@app.post("/rewards/<customer_id>/redeem")
def redeem_points(customer_id: CustomerIdPath, request: RedeemBody):
    """Quote, reserve the points in the ledger, settle; `status`: settled, refused (the points are given
    back) or pending (the venue's answer was lost; `smartpay rewards resolve` finishes it)."""
    rewards = bootstrap.service()
    done = redeem.redeem(merchant_id(app), customer_id,
                         redeem.RedeemRequest(request.points, request.asset, request.slippage_bps), rewards.uow,
                         rewards.chain().exchange)
    return redemption_view(done)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
