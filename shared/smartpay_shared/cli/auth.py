"""`smartpay auth create-user|token|mfa-setup`: Cognito users and ID tokens for the local stack (or any
pool). The pool comes from the options, then SMARTPAY_USER_POOL_ID / SMARTPAY_USER_POOL_CLIENT_ID, then
`.local/stack.json`; the endpoint from AWS_ENDPOINT_URL, then the stack file.

`create-user` is the admin path (AdminCreateUser, IAM credentials): the only way a user and its
merchant come to exist. The pool refuses self sign-up and the app client cannot write
custom:merchant_id (infra/terraform/modules/cognito). On top of the attribute, the user is put in the
group `merchant:<merchant_id>` (created when missing) and taken out of every other merchant's group:
the API acts for a merchant only when the group confirms the claim (smartpay_shared.api.merchant_id),
and group membership has no user-facing API at all. `mfa-setup` and `token --mfa-code` are the
user's side of the pool's optional TOTP MFA."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from botocore.exceptions import BotoCoreError, ClientError

from smartpay_shared import aws
from smartpay_shared.api import ADMIN_GROUP, MERCHANT_CLAIM, MERCHANT_GROUP_PREFIX, merchant_group
from smartpay_shared.config import platform_settings
from smartpay_shared.local.auth import read_stack_file

app = typer.Typer(no_args_is_help=True, add_completion=False)

PoolId = Annotated[str | None, typer.Option("--user-pool-id", envvar="SMARTPAY_USER_POOL_ID",
                                            help="Default: .local/stack.json")]
ClientId = Annotated[str | None, typer.Option("--client-id", envvar="SMARTPAY_USER_POOL_CLIENT_ID",
                                              help="Default: .local/stack.json")]
StackFile = Annotated[Path | None, typer.Option("--stack-file", help="Default: <repo>/.local/stack.json")]
Email = Annotated[str, typer.Option("--email", help="Also the username.")]
Password = Annotated[str, typer.Option("--password", prompt=True, hide_input=True,
                                       envvar="SMARTPAY_USER_PASSWORD")]
# The events' merchant id (smartpay_shared.events.payloads.MerchantId): also what keeps the group name
# `merchant:<id>` within Cognito's rules and free of the comma and space of flattened group claims.
MERCHANT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _setting(given: str | None, stack: dict[str, Any], key: str, option: str) -> str:
    value = given or stack.get(key)
    if not value:
        raise typer.BadParameter(f"pass {option}, set its environment variable, or run `make up` "
                                 "so .local/stack.json exists", param_hint=option)
    return str(value)


def _cognito(stack: dict[str, Any]) -> Any:
    endpoint = platform_settings().endpoint_url or stack.get("aws_endpoint_url")
    return aws.client("cognito-idp", endpoint_url=endpoint, region=stack.get("region"))


def _fail(e: Exception) -> typer.Exit:
    if isinstance(e, ClientError):
        error = e.response.get("Error", {})
        typer.echo(f"error: {error.get('Code')}: {error.get('Message')}", err=True)
    else:
        typer.echo(f"error: {e}", err=True)
    return typer.Exit(1)


@app.command("create-user")
def create_user(email: Email, password: Password,
                merchant_id: Annotated[str | None, typer.Option(
                    "--merchant-id", help="Goes in custom:merchant_id, and the user goes in the group "
                                          "merchant:<id> (and out of any other merchant's). Leave it out "
                                          "only with --admin: an operator who acts for no merchant.")] = None,
                admin: Annotated[bool, typer.Option("--admin", help=f"Also add to the {ADMIN_GROUP!r} group.")] = False,
                user_pool_id: PoolId = None, stack_file: StackFile = None) -> None:
    """Create (or update) a confirmed user with a permanent password, a merchant (attribute and group)
    and/or the admin group."""
    if not merchant_id and not admin:
        raise typer.BadParameter("a merchant user needs --merchant-id (only an --admin user may have none)",
                                 param_hint="--merchant-id")
    if merchant_id is not None and not MERCHANT_ID.fullmatch(merchant_id):
        raise typer.BadParameter("a merchant id is 1-64 characters of A-Z, a-z, 0-9, _ and -",
                                 param_hint="--merchant-id")
    stack = read_stack_file(stack_file)
    pool = _setting(user_pool_id, stack, "user_pool_id", "--user-pool-id")
    cognito = _cognito(stack)
    merchant = [{"Name": MERCHANT_CLAIM, "Value": merchant_id}] if merchant_id else []
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}, *merchant]
    try:
        try:
            cognito.admin_create_user(UserPoolId=pool, Username=email, UserAttributes=attributes,
                                      MessageAction="SUPPRESS")
        except (cognito.exceptions.UsernameExistsException,  # re-runnable: update instead
                cognito.exceptions.AliasExistsException):  # (moto's answer when email is the username)
            # Only the merchant: re-sending the email makes moto see an alias clash with the user itself.
            if merchant:
                cognito.admin_update_user_attributes(UserPoolId=pool, Username=email, UserAttributes=merchant)
            else:
                cognito.admin_delete_user_attributes(UserPoolId=pool, Username=email,
                                                     UserAttributeNames=[MERCHANT_CLAIM])
        cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
        wanted = {merchant_group(merchant_id)} if merchant_id else set()
        for stale in sorted(g for g in _groups_of(cognito, pool, email)
                            if g.startswith(MERCHANT_GROUP_PREFIX) and g not in wanted):
            # A re-assigned user leaves its former merchant: the claim alone would not be confirmed.
            cognito.admin_remove_user_from_group(UserPoolId=pool, Username=email, GroupName=stale)
        for group in sorted(wanted | ({ADMIN_GROUP} if admin else set())):
            _ensure_group(cognito, pool, group)
            cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
    except (ClientError, BotoCoreError) as e:
        raise _fail(e) from e
    typer.echo(json.dumps({"user_pool_id": pool, "username": email, "merchant_id": merchant_id, "admin": admin,
                           "merchant_group": merchant_group(merchant_id) if merchant_id else None}))


def _ensure_group(cognito: Any, pool: str, group: str) -> None:
    description = ("Operators." if group == ADMIN_GROUP else
                   "Users of this merchant: confirms their custom:merchant_id (assigned by `smartpay auth create-user`).")
    try:
        cognito.create_group(UserPoolId=pool, GroupName=group, Description=description)
    except cognito.exceptions.GroupExistsException:
        pass


def _groups_of(cognito: Any, pool: str, username: str) -> list[str]:
    names: list[str] = []
    kwargs: dict[str, Any] = {"UserPoolId": pool, "Username": username, "Limit": 60}
    while True:
        page = cognito.admin_list_groups_for_user(**kwargs)
        names += [g["GroupName"] for g in page.get("Groups", [])]
        if not page.get("NextToken"):
            return names
        kwargs["NextToken"] = page["NextToken"]


MfaCode = Annotated[str | None, typer.Option("--mfa-code", help="The current code of the user's authenticator "
                                             "app, for a user who enrolled one with `mfa-setup`.")]


def _sign_in(cognito: Any, client: str, email: str, password: str, mfa_code: str | None) -> dict[str, Any]:
    """USER_PASSWORD_AUTH, answering a SOFTWARE_TOKEN_MFA challenge with mfa_code. -> AuthenticationResult"""
    response = cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": email, "PASSWORD": password})
    if response.get("ChallengeName") == "SOFTWARE_TOKEN_MFA" and mfa_code:
        response = cognito.respond_to_auth_challenge(
            ClientId=client, ChallengeName="SOFTWARE_TOKEN_MFA", Session=response["Session"],
            ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": mfa_code})
    result = response.get("AuthenticationResult")
    if not result:
        challenge = response.get("ChallengeName")
        hint = ": pass --mfa-code" if challenge == "SOFTWARE_TOKEN_MFA" else ""
        typer.echo(f"error: sign-in needs a challenge first: {challenge}{hint}", err=True)
        raise typer.Exit(1)
    return result


@app.command()
def token(email: Email, password: Password, client_id: ClientId = None, stack_file: StackFile = None,
          access: Annotated[bool, typer.Option("--access", help="Print the access token instead "
                                               "(the gateway refuses it: for testing).")] = False,
          mfa_code: MfaCode = None) -> None:
    """Sign in (USER_PASSWORD_AUTH, plus the TOTP code when the user enrolled one) and print the ID
    token, the one the gateway accepts."""
    stack = read_stack_file(stack_file)
    client = _setting(client_id, stack, "user_pool_client_id", "--client-id")
    try:
        result = _sign_in(_cognito(stack), client, email, password, mfa_code)
    except (ClientError, BotoCoreError) as e:
        raise _fail(e) from e
    typer.echo(result["AccessToken"] if access else result["IdToken"])


@app.command("mfa-setup")
def mfa_setup(email: Email, password: Password, client_id: ClientId = None, stack_file: StackFile = None,
              code: Annotated[str | None, typer.Option("--code", help="The code the authenticator app shows "
                                                       "for the secret of the first step.")] = None) -> None:
    """Enrol a TOTP authenticator app (the pool's MFA is optional). First without --code: prints a new
    secret and its otpauth:// URI (for a QR code). Then with --code: verifies the app's code and makes
    TOTP the user's MFA, so that every later sign-in needs `token --mfa-code`."""
    stack = read_stack_file(stack_file)
    client = _setting(client_id, stack, "user_pool_client_id", "--client-id")
    cognito = _cognito(stack)
    try:
        access_token = _sign_in(cognito, client, email, password, None)["AccessToken"]
        if code is None:
            secret = cognito.associate_software_token(AccessToken=access_token)["SecretCode"]
            uri = f"otpauth://totp/SmartPay:{quote(email)}?secret={secret}&issuer=SmartPay"
            typer.echo(json.dumps({"username": email, "secret": secret, "otpauth_uri": uri}))
            return
        verified = cognito.verify_software_token(AccessToken=access_token, UserCode=code,
                                                 FriendlyDeviceName="authenticator")
        if verified.get("Status") != "SUCCESS":
            typer.echo(f"error: the code was not accepted: {verified.get('Status')}", err=True)
            raise typer.Exit(1)
        cognito.set_user_mfa_preference(AccessToken=access_token,
                                        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    except (ClientError, BotoCoreError) as e:
        raise _fail(e) from e
    typer.echo(json.dumps({"username": email, "mfa": "SOFTWARE_TOKEN_MFA"}))
