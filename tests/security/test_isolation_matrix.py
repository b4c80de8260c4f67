"""Tenant isolation and roles, route by route: EVERY route of every service manifest x {merchant A,
merchant B, admin, no token, expired token}, through the gateway app (real Cognito tokens verified
against moto's JWKS) into the real service handlers on real dependencies (see conftest).

The rules: no token / an expired one -> 401; an admin-only operator token (no merchant claim) -> 403
on every merchant route (operator actions are CLI-only, with AWS credentials); a merchant claim that
no operator-assigned group `merchant:<id>` confirms (a rewritten attribute, a self sign-up) -> 403
merchant-unconfirmed on every merchant route; a merchant acts only
for itself: another merchant's payment (or vaulted card) is a 404, exactly like an id that does not
exist, on read and on refund; a chat lookup of it answers "not found", exactly like an unknown id.
Every refusal is an RFC 9457 problem. A route added to a manifest without an entry here fails."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import typer
from werkzeug.test import Client

from smartpay_shared.cli.main import app as smartpay_cli
from smartpay_shared.manifest import all_manifests

pytestmark = pytest.mark.integration

IDENTITIES = ("none", "expired", "admin", "merchant_b", "merchant_a")  # B before A: B's refund must not land
PROBLEM = "application/problem+json"
OPERATOR_WORDS = ("replay", "redrive", "dlq", "reindex", "promote", "admin", "model", "train", "ops")


@dataclass(frozen=True)
class Case:
    """How merchant A calls the route (`build(platform) -> (path, request kwargs)`), what A gets, and
    what B gets when it makes the very same call (`other`: None = B's own success, like A's)."""

    build: Callable
    own: frozenset[int]
    other: int | None = None


def _pay_body(card):
    return {"amount": 1250, "currency": "USD", "customer_id": "c_1", "country": "US",
            "payment_method": {"type": "card", "token": card, "last4": "4242", "brand": "visa"}}


def _vault_id(platform):
    """A card enrolled in merchant A's vault (once), for the vault read route."""
    if "vault_a" not in platform.state:
        response = call(platform, "merchant_a", "POST", "/payment-methods",
                        json={"customer_id": "c_1", "gateway_tokens": {"stripe": platform.state["card"]}})
        assert response.status_code == 201, response.get_data(as_text=True)
        platform.state["vault_a"] = response.json["vault_id"]
    return platform.state["vault_a"]


def _scored_by_a(platform):
    """A payment id the fraud service scored for merchant A (once), for the fraud report route."""
    if "scored_a" not in platform.state:
        response = call(platform, "merchant_a", "POST", "/fraud", json={**FRAUD, "payment_id": "pay_IsoReport0001"})
        assert response.status_code == 200, response.get_data(as_text=True)
        platform.state["scored_a"] = "pay_IsoReport0001"
    return platform.state["scored_a"]


HOOK = {"url": "http://127.0.0.1:9/hook", "event_types": ["payment.captured"], "description": "matrix"}
GHOST_ENDPOINT, GHOST_DELIVERY = "we_" + "a" * 24, "dlv_" + "0" * 12 + "_" + "a" * 16  # never PAN-like


def _endpoint(platform, fresh: bool = False):
    """Merchant A's webhook endpoint (once; `fresh`: a new one, for the delete route)."""
    if fresh or "endpoint_a" not in platform.state:
        response = call(platform, "merchant_a", "POST", "/webhook-endpoints", json=HOOK)
        assert response.status_code == 201, response.get_data(as_text=True)
        if fresh:
            return response.json["endpoint_id"]
        platform.state["endpoint_a"] = response.json["endpoint_id"]
    return platform.state["endpoint_a"]


def _delivery(platform):
    """A delivery of A's endpoint (its test event), for the resend route."""
    if "delivery_a" not in platform.state:
        response = call(platform, "merchant_a", "POST", f"/webhook-endpoints/{_endpoint(platform)}/test")
        assert response.status_code == 202, response.get_data(as_text=True)
        platform.state["delivery_a"] = response.json["delivery_id"]
    return platform.state["delivery_a"]


def _hook(suffix: str, own: int, **request):
    return Case(lambda p: (f"/webhook-endpoints/{_endpoint(p)}{suffix}", request), frozenset({own}), other=404)


FRAUD = {"amount": 4200, "currency": "EUR", "customer_id": "cus_1", "country": "DE",
         "payment_method": {"type": "card", "token": "pm_card_visa"}}
ROUTE = {"amount": 4200, "currency": "EUR", "payment_method": "card", "country": "DE", "risk_score": 0.2}

MATRIX: dict[tuple[str, str], Case] = {
    ("POST", "/fraud"): Case(lambda p: ("/fraud", {"json": FRAUD}), frozenset({200})),
    ("POST", "/route"): Case(lambda p: ("/route", {"json": ROUTE}), frozenset({200})),
    ("POST", "/pay"): Case(lambda p: ("/pay", {"json": _pay_body(p.state["card"]),
                                              "headers": {"Idempotency-Key": f"iso-{uuid.uuid4().hex}"}}),
                           frozenset({202})),
    ("GET", "/payments/{payment_id}"): Case(lambda p: (f"/payments/{p.state['payment_a']}", {}),
                                            frozenset({200}), other=404),
    ("POST", "/payments/{payment_id}/refund"): Case(
        lambda p: (f"/payments/{p.state['payment_a']}/refund", {"json": {"amount": 250, "reason": "matrix"}}),
        frozenset({200, 202}), other=404),
    ("POST", "/payments/{payment_id}/disputes"): Case(  # a part of it: A's refund of 250 stays refundable
        lambda p: (f"/payments/{p.state['payment_a']}/disputes", {"json": {"reason": "fraudulent", "amount": 100}}),
        frozenset({200, 201}), other=404),
    ("POST", "/fraud/reports"): Case(lambda p: ("/fraud/reports", {"json": {"payment_id": _scored_by_a(p),
                                                                             "reason": "stolen_card"}}),
                                     frozenset({202}), other=404),
    ("POST", "/chat"): Case(lambda p: ("/chat", {"json": {"question": f"what happened to payment {p.state['payment_a']}?"}}),
                            frozenset({200})),
    ("POST", "/payment-methods"): Case(
        lambda p: ("/payment-methods", {"json": {"customer_id": "c_1", "gateway_tokens": {"stripe": p.state["card"]}}}),
        frozenset({201})),
    ("GET", "/payment-methods/{vault_id}"): Case(lambda p: (f"/payment-methods/{_vault_id(p)}", {}),
                                                 frozenset({200}), other=404),
    ("POST", "/webhook-endpoints"): Case(lambda p: ("/webhook-endpoints", {"json": HOOK}), frozenset({201})),
    ("GET", "/webhook-endpoints"): Case(lambda p: ("/webhook-endpoints", {}), frozenset({200})),
    ("GET", "/webhook-endpoints/{endpoint_id}"): _hook("", 200),
    ("PATCH", "/webhook-endpoints/{endpoint_id}"): _hook("", 200, json={"description": "matrix"}),
    ("DELETE", "/webhook-endpoints/{endpoint_id}"): Case(
        lambda p: (f"/webhook-endpoints/{_endpoint(p, fresh=True)}", {}), frozenset({204}), other=404),
    ("POST", "/webhook-endpoints/{endpoint_id}/disable"): _hook("/disable", 200),
    ("POST", "/webhook-endpoints/{endpoint_id}/rotate-secret"): _hook("/rotate-secret", 200),
    ("POST", "/webhook-endpoints/{endpoint_id}/test"): _hook("/test", 202),
    ("GET", "/webhook-endpoints/{endpoint_id}/deliveries"): _hook("/deliveries", 200),
    ("POST", "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/resend"): Case(
        lambda p: (f"/webhook-endpoints/{_endpoint(p)}/deliveries/{_delivery(p)}/resend", {}),
        frozenset({202}), other=404),
    ("POST", "/webhook-endpoints/{endpoint_id}/resend"): _hook("/resend", 202,
                                                             json={"since": "2026-01-01T00:00:00Z"}),
    # A's customer c_1 earned points (conftest); B asking for its own customer of that id finds none.
    ("GET", "/rewards/{customer_id}"): Case(lambda p: ("/rewards/c_1", {}), frozenset({200}), other=404),
    ("POST", "/rewards/{customer_id}/wallet/challenge"): Case(
        lambda p: ("/rewards/c_1/wallet/challenge", {"json": {"wallet": str(p.state["rewards_wallet"].pubkey())}}),
        frozenset({201}), other=404),
    # A's own signed challenge: B presenting it for "its" c_1 is a 404 (no such customer at B), never a link.
    ("POST", "/rewards/{customer_id}/wallet"): Case(lambda p: _signed_challenge(p), frozenset({200}), other=404),
    # c_1's wallet holds its points but approved no delegate: A's redemption is refused and reversed (200).
    ("POST", "/rewards/{customer_id}/redeem"): Case(
        lambda p: ("/rewards/c_1/redeem", {"json": {"points": 1, "asset": "SOL"}}), frozenset({200}), other=404),
}


def _signed_challenge(platform):
    wallet = platform.state["rewards_wallet"]
    issued = call(platform, "merchant_a", "POST", "/rewards/c_1/wallet/challenge",
                  json={"wallet": str(wallet.pubkey())})
    assert issued.status_code == 201, issued.get_data(as_text=True)
    signature = str(wallet.sign_message(issued.json["message"].encode()))
    return "/rewards/c_1/wallet", {"json": {"nonce": issued.json["nonce"], "signature": signature}}


def manifest_routes() -> set[tuple[str, str]]:
    return {(r.method, r.path) for m in all_manifests().values() for r in m.routes}


def call(platform, identity, method, path, **kwargs):
    token = platform.tokens[identity]
    headers = {**kwargs.pop("headers", {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    return Client(platform.gateway).open(path, method=method, headers=headers, **kwargs)


def expected(case: Case, identity: str) -> frozenset[int]:
    if identity in ("none", "expired"):
        return frozenset({401})
    if identity == "admin":
        return frozenset({403})
    if identity == "merchant_b" and case.other is not None:
        return frozenset({case.other})
    return case.own


def test_every_manifest_route_has_a_matrix_entry():
    missing = sorted(manifest_routes() - set(MATRIX))
    assert not missing, f"routes without an isolation matrix entry: {missing} (add them to MATRIX)"


def test_no_http_route_performs_an_operator_action():
    """Replay, DLQ redrive, reindex and model promotion are CLI commands run with AWS credentials."""
    for method, path in manifest_routes():
        assert not any(word in path.lower() for word in OPERATOR_WORDS), f"{method} {path} looks like an operator route"
    cli = typer.main.get_command(smartpay_cli)
    commands = {(group, name) for group, sub in cli.commands.items() for name in getattr(sub, "commands", {})}
    assert {("events", "replay"), ("dlq", "redrive"), ("chat", "reindex"), ("fraud", "train"),
            ("fraud", "promote"), ("fraud", "rollback")} <= commands


@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize(("method", "resource"), sorted(MATRIX))
def test_route_x_identity(platform, method, resource, identity):
    if (method, resource) not in manifest_routes():
        pytest.skip(f"{method} {resource} is not in any manifest (yet)")
    case = MATRIX[(method, resource)]
    path, kwargs = case.build(platform)
    response = call(platform, identity, method, path, **kwargs)
    body = response.get_data(as_text=True)
    assert response.status_code in expected(case, identity), f"{identity}: {response.status_code} {body[:500]}"
    if response.status_code >= 400:
        assert response.content_type == PROBLEM, body[:300]
        assert response.json["status"] == response.status_code
        if identity == "admin":
            assert response.json["type"] == "urn:smartpay:problem:merchant-required"
        if identity == "expired":
            assert response.json["detail"] == "token has expired"  # refused for its age, not its signature
    if response.status_code == 404:
        # Indistinguishable from an id that does not exist: same status, same problem type.
        ghost_path = path.replace(platform.state["payment_a"], "pay_DoesNotExist0001")
        if "vault_a" in platform.state:
            ghost_path = ghost_path.replace(platform.state["vault_a"], "pmv_" + "0" * 32)
        ghost_path = re.sub(r"we_[0-9a-f]{24}", GHOST_ENDPOINT, ghost_path)
        ghost_path = re.sub(r"dlv_[0-9a-f]{12}_[0-9a-f]{16}", GHOST_DELIVERY, ghost_path)
        ghost = call(platform, identity, method, ghost_path, **case.build(platform)[1])
        assert ghost.status_code == 404
        assert comparable(ghost.json, platform) == comparable(response.json, platform), (ghost.json, response.json)


def comparable(body: dict, platform) -> dict:
    """A problem body with what differs per request (instance, request_id) gone and the ids normalised:
    another merchant's object and an id that does not exist must answer the very same body."""
    text = json.dumps({k: v for k, v in body.items() if k not in ("instance", "request_id")}, sort_keys=True)
    ids = [platform.state["payment_a"], "pay_DoesNotExist0001"]
    if "vault_a" in platform.state:
        ids += [platform.state["vault_a"], "pmv_" + "0" * 32]
    for found in ids:
        text = text.replace(found, "<id>")
    text = re.sub(r"we_[0-9a-f]{24}|dlv_[0-9a-f]{12}_[0-9a-f]{16}", "<id>", text)
    return json.loads(text)


@pytest.mark.parametrize("path", ["/payments/4242424242424242", "/payments/4242-4242-4242-4242/refunds",
                                  "/no-such-route/4242.4242.4242.4242"])
def test_a_card_number_typed_into_a_path_is_never_echoed(platform, path):
    for method in ("GET", "POST", "DELETE"):
        response = call(platform, "merchant_a", method, path, json={})
        assert response.status_code >= 400 and "4242" not in _without_request_id(response), \
            (method, response.get_data(as_text=True)[:300])


def test_another_merchants_chat_lookup_is_a_not_found_answer(platform):
    question = f"what happened to payment {platform.state['payment_a']}?"
    own = call(platform, "merchant_a", "POST", "/chat", json={"question": question}).json
    assert own["kind"] == "lookup" and own["citations"] == [platform.state["payment_a"]]
    other = call(platform, "merchant_b", "POST", "/chat", json={"question": question}).json
    ghost = call(platform, "merchant_b", "POST", "/chat",
                 json={"question": "what happened to payment pay_DoesNotExist0001?"}).json
    assert other["kind"] == ghost["kind"] == "not_found"
    assert other["rows"] == [] and other["citations"] == []
    said = str({k: v for k, v in other.items() if k != "request_id"})
    assert "1250" not in said and "12.50" not in said


def test_a_refund_attempt_by_another_merchant_changed_nothing(platform):
    view = call(platform, "merchant_a", "GET", f"/payments/{platform.state['payment_a']}").json
    # Exactly A's own refund of 250 is on the payment: B's identical attempt (run first) left no trace.
    assert view["refunded_amount"] == 250 and [r["amount"] for r in view["refunds"]] == [250], view
    assert call(platform, "merchant_b", "GET", f"/payments/{platform.state['payment_a']}").status_code == 404


def test_the_merchant_comes_from_the_token_not_the_body(platform):
    sneaky = {**FRAUD, "merchant_id": "m_iso_a"}
    response = call(platform, "merchant_b", "POST", "/fraud", json=sneaky)
    assert response.status_code == 422
    assert ["body", "merchant_id"] in [e["loc"] for e in response.json["errors"]]


# --- merchant identity: set by an operator only ---------------------------------------------------
# The pool is built from infra/terraform/modules/cognito/hardening.json, like the deployed one. moto
# 5.2.5 stores these settings but enforces neither (moto/cognitoidp/models.py: update_user_attributes
# writes any attribute, sign_up never reads AdminCreateUserConfig). So on the emulator a user CAN write
# its own custom:merchant_id, and anyone CAN sign up with one. What stops the takeover there (and, as a
# second lock, on AWS) is the binding in smartpay_shared.api.merchant_id: the claim counts only with the
# operator-assigned group merchant:<id>, which no user-facing API changes. The takeover tests below run
# the attack for real and pass on either pool; the two Cognito calls themselves stay strict xfails
# that can only fail *this* way: EmulatorGap, raised when the emulator accepts the call. Any other
# failure fails them; if moto starts refusing, they XPASS and strict mode fails the run until the
# marker goes.


class EmulatorGap(Exception):
    """The emulator accepted a call that real Cognito refuses under the pool's settings."""


UNCONFIRMED = "urn:smartpay:problem:merchant-unconfirmed"


def _idp(platform):
    import boto3

    return boto3.client("cognito-idp", endpoint_url=platform.state["moto"].url, region_name="us-east-1")


def _sign_in(platform, identity: str) -> dict:
    return _idp(platform).initiate_auth(
        ClientId=platform.state["client_id"], AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": platform.state["users"][identity], "PASSWORD": platform.state["password"]},
    )["AuthenticationResult"]


def _claims(id_token: str) -> dict:
    import jwt

    return jwt.decode(id_token, options={"verify_signature": False})


def _call_with(platform, token: str, method: str, path: str, **kwargs):
    headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
    return Client(platform.gateway).open(path, method=method, headers=headers, **kwargs)


def _assert_no_merchant_route_answers(platform, token: str, claimed: str) -> None:
    """Every merchant route of every manifest (MATRIX), A's payment read and refund included: 403
    merchant-unconfirmed, a problem that repeats neither the claim nor anything of A's payment."""
    for (method, resource), case in sorted(MATRIX.items()):
        path, kwargs = case.build(platform)
        response = _call_with(platform, token, method, path, **kwargs)
        body = response.get_data(as_text=True)
        assert response.status_code == 403, (method, resource, response.status_code, body[:300])
        assert response.content_type == PROBLEM and response.json["type"] == UNCONFIRMED, (method, resource, body)
        said = _without_request_id(response)  # a random request id held "1250" once (CI of 2026-12-07 16:40)
        assert claimed not in said and "1250" not in said and "12.50" not in said, (method, resource, body)


def _without_request_id(response) -> str:
    """The response's text without its random request id (a UUID may hold "1250" or "4242" by chance)."""
    body = response.get_data(as_text=True)
    try:
        data = json.loads(body)
    except ValueError:
        return body
    return json.dumps({k: v for k, v in data.items() if k != "request_id"}) if isinstance(data, dict) else body


def _payment_view(platform) -> dict:
    view = call(platform, "merchant_a", "GET", f"/payments/{platform.state['payment_a']}").json
    return {k: view.get(k) for k in ("status", "captured_amount", "refunded_amount", "refunds")}


def test_the_pool_refuses_sign_up_and_keeps_the_merchant_out_of_user_writes(platform):
    """What moto does hold: the settings, read back from the pool the matrix runs on (literal
    expectations, so a weakened hardening.json fails here)."""
    idp = _idp(platform)
    pool = idp.describe_user_pool(UserPoolId=platform.state["user_pool_id"])["UserPool"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "OPTIONAL"
    mfa = idp.get_user_pool_mfa_config(UserPoolId=platform.state["user_pool_id"])
    assert mfa["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    client = idp.describe_user_pool_client(UserPoolId=platform.state["user_pool_id"],
                                           ClientId=platform.state["client_id"])["UserPoolClient"]
    assert "custom:merchant_id" in client["ReadAttributes"]
    assert client["WriteAttributes"] and "custom:merchant_id" not in client["WriteAttributes"]
    assert not any(a.startswith(("custom:", "dev:")) or a.endswith("_verified") for a in client["WriteAttributes"])


def test_the_admin_path_sets_each_merchant(platform):
    """`smartpay auth create-user` (AdminCreateUser) on the hardened pool: each token carries its merchant
    and exactly the group that confirms it; the operator neither."""
    for identity in ("merchant_a", "merchant_b"):
        claims, merchant = _claims(platform.tokens[identity]), platform.state["merchants"][identity]
        assert (claims["custom:merchant_id"], claims["cognito:groups"]) == (merchant, [f"merchant:{merchant}"])
    admin = _claims(platform.tokens["admin"])
    assert "custom:merchant_id" not in admin and admin["cognito:groups"] == ["admin"]


def test_merchant_b_cannot_rewrite_its_merchant_to_a_and_read_as_a(platform):
    """Issue #13 item 1, end to end. B calls UpdateUserAttributes with its own access token to become A
    and signs in again. Real Cognito refuses the call (the app client cannot write the attribute): B is
    still B and gets 404 on A's payment. moto accepts it: the fresh ID token says custom:merchant_id =
    A, but its groups still say merchant:m_iso_b (no user-facing API moves a group), so every merchant
    route, A's payment read and refund and B's own routes alike, is 403 merchant-unconfirmed. Either
    way, A's payment is exactly as it was."""
    from botocore.exceptions import ClientError

    idp, email = _idp(platform), platform.state["users"]["merchant_b"]
    merchant_a, merchant_b = platform.state["merchants"]["merchant_a"], platform.state["merchants"]["merchant_b"]
    payment = platform.state["payment_a"]
    before = _payment_view(platform)
    access = _sign_in(platform, "merchant_b")["AccessToken"]
    try:
        idp.update_user_attributes(AccessToken=access, UserAttributes=[
            {"Name": "custom:merchant_id", "Value": merchant_a}])
        accepted = True  # moto 5.2.5 (EmulatorGap: see test_the_app_client_refuses_a_users_own_merchant_write)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NotAuthorizedException", e.response["Error"]
        accepted = False
    try:
        fresh = _sign_in(platform, "merchant_b")["IdToken"]
        claims = _claims(fresh)
        assert claims["cognito:groups"] == [f"merchant:{merchant_b}"]  # the group did not move
        read = _call_with(platform, fresh, "GET", f"/payments/{payment}")
        refund = _call_with(platform, fresh, "POST", f"/payments/{payment}/refund",
                            json={"amount": 100, "reason": "rewrite"})
        if accepted:
            assert claims["custom:merchant_id"] == merchant_a  # the takeover attempt is in the token...
            for response in (read, refund):  # ...and buys nothing
                assert response.status_code == 403 and response.json["type"] == UNCONFIRMED, response.json
            _assert_no_merchant_route_answers(platform, fresh, merchant_a)
        else:
            assert claims["custom:merchant_id"] == merchant_b
            assert (read.status_code, refund.status_code) == (404, 404)
    finally:
        if accepted:  # put B back through the admin path
            idp.admin_update_user_attributes(UserPoolId=platform.state["user_pool_id"], Username=email,
                                             UserAttributes=[{"Name": "custom:merchant_id", "Value": merchant_b}])
    assert _payment_view(platform) == before  # the refund attempt changed nothing
    restored = _sign_in(platform, "merchant_b")["IdToken"]
    assert _call_with(platform, restored, "GET", f"/payments/{payment}").status_code == 404  # B is B again


@pytest.mark.xfail(strict=True, raises=EmulatorGap, reason=(
    "moto 5.2.5 does not enforce the app client's WriteAttributes: UpdateUserAttributes with the user's "
    "own access token writes custom:merchant_id (real Cognito: NotAuthorizedException). The call is "
    "accepted, the takeover is not: test_merchant_b_cannot_rewrite_its_merchant_to_a_and_read_as_a"))
def test_the_app_client_refuses_a_users_own_merchant_write(platform):
    from botocore.exceptions import ClientError

    idp, email = _idp(platform), platform.state["users"]["merchant_b"]
    access = _sign_in(platform, "merchant_b")["AccessToken"]
    try:
        idp.update_user_attributes(AccessToken=access, UserAttributes=[
            {"Name": "custom:merchant_id", "Value": platform.state["merchants"]["merchant_a"]}])
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NotAuthorizedException", e.response["Error"]
    else:
        idp.admin_update_user_attributes(  # put B back through the admin path before reporting
            UserPoolId=platform.state["user_pool_id"], Username=email,
            UserAttributes=[{"Name": "custom:merchant_id", "Value": platform.state["merchants"]["merchant_b"]}])
        raise EmulatorGap("UpdateUserAttributes(custom:merchant_id) with B's own access token was accepted")
    assert _claims(_sign_in(platform, "merchant_b")["IdToken"])["custom:merchant_id"] == \
        platform.state["merchants"]["merchant_b"]


def test_a_self_signed_up_user_acts_for_no_merchant(platform):
    """Real Cognito refuses SignUp on this pool. moto lets anyone sign up with custom:merchant_id = A
    (confirmed here through the admin API, which moto needs before a sign-in): the user signs in, its
    token claims A, and no operator put it in merchant:m_iso_a, so every merchant route is 403
    merchant-unconfirmed and A's payment is untouched."""
    from botocore.exceptions import ClientError

    idp, pool = _idp(platform), platform.state["user_pool_id"]
    merchant_a = platform.state["merchants"]["merchant_a"]
    intruder = f"intruder-{uuid.uuid4().hex[:8]}@iso.example"
    before = _payment_view(platform)
    try:
        created = idp.sign_up(ClientId=platform.state["client_id"], Username=intruder,
                              Password=platform.state["password"],
                              UserAttributes=[{"Name": "custom:merchant_id", "Value": merchant_a}])
    except ClientError as e:  # real Cognito (EmulatorGap on moto: see test_self_sign_up_is_refused)
        assert e.response["Error"]["Code"] == "NotAuthorizedException", e.response["Error"]
        return
    try:
        if not created.get("UserConfirmed"):
            idp.admin_confirm_sign_up(UserPoolId=pool, Username=created["UserSub"])
        token = idp.initiate_auth(ClientId=platform.state["client_id"], AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": intruder, "PASSWORD": platform.state["password"]},
                                  )["AuthenticationResult"]["IdToken"]
        claims = _claims(token)
        assert claims["custom:merchant_id"] == merchant_a and not claims.get("cognito:groups")
        _assert_no_merchant_route_answers(platform, token, merchant_a)
    finally:
        idp.admin_delete_user(UserPoolId=pool, Username=created["UserSub"])
    assert _payment_view(platform) == before


@pytest.mark.xfail(strict=True, raises=EmulatorGap, reason=(
    "moto 5.2.5 ignores AdminCreateUserConfig.AllowAdminCreateUserOnly: SignUp creates the user "
    "(real Cognito: NotAuthorizedException, SignUp is not permitted for this user pool). The call is "
    "accepted, the takeover is not: test_a_self_signed_up_user_acts_for_no_merchant"))
def test_self_sign_up_is_refused(platform):
    from botocore.exceptions import ClientError

    idp = _idp(platform)
    intruder = f"intruder-{uuid.uuid4().hex[:8]}@iso.example"
    try:
        created = idp.sign_up(ClientId=platform.state["client_id"], Username=intruder, Password=platform.state["password"],
                              UserAttributes=[{"Name": "custom:merchant_id",
                                               "Value": platform.state["merchants"]["merchant_a"]}])
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NotAuthorizedException", e.response["Error"]
    else:
        idp.admin_delete_user(UserPoolId=platform.state["user_pool_id"], Username=created["UserSub"])
        raise EmulatorGap("SignUp created a user (with custom:merchant_id of merchant A)")
    users = idp.list_users(UserPoolId=platform.state["user_pool_id"], Filter=f'email = "{intruder}"')["Users"]
    assert users == []
