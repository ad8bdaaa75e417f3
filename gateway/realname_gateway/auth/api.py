"""``/api/v1/auth/…``: challenge, logins, refresh, logout, JWKS, accounts, project managers, delegations."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from realname_codes.roles import ENTERPRISE_ROLES, PROJECT_MANAGER, REGULATOR
from realname_gateway.auth import accounts, delegation, login, project_accounts
from realname_gateway.auth.context import auth_context, client_address
from realname_gateway.auth.schemas import (
    AccountIn,
    AccountOut,
    AccountPage,
    AccountPatch,
    CallerOut,
    CertificateLoginIn,
    ChallengeOut,
    DelegationIn,
    DelegationPage,
    JwksOut,
    ManagerIn,
    ManagerOut,
    PasswordLoginIn,
    RefreshIn,
    RevealArgs,
    TokensOut,
)
from realname_kit.auth import ANYONE, AUTHENTICATED, allow, current_caller
from realname_kit.openapi import Blueprint
from realname_kit.problems import Problem

auth = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                 description="Login (enterprise certificate, password), tokens, accounts, delegation.")


def _tokens(tokens: login.Tokens) -> dict[str, Any]:
    g = tokens.grant
    return {"access_token": tokens.access_token, "token_type": "Bearer", "expires_in": tokens.expires_in,
            "refresh_token": tokens.refresh_token, "refresh_expires_in": tokens.refresh_expires_in,
            "subject": g.subject, "kind": g.kind, "roles": sorted(g.roles), "enterprise_id": g.enterprise_id}


@auth.post("/challenge")
@allow(ANYONE)
@auth.response(201, ChallengeOut)
def challenge() -> Any:
    """A one-time nonce (2 minutes) for a certificate login."""
    return login.issue_challenge(auth_context())


@auth.post("/login/certificate")
@allow(ANYONE)
@auth.arguments(CertificateLoginIn)
@auth.response(200, TokensOut)
def certificate_login(body: dict[str, Any]) -> Any:
    """Log in as an enterprise with its certificate (R31); the first login registers it."""
    return _tokens(login.certificate_login(auth_context(), body["certificate"], body["nonce"], body["signature"],
                                           kind=body["kind"], client=client_address()))


@auth.post("/login/password")
@allow(ANYONE)
@auth.arguments(PasswordLoginIn)
@auth.response(200, TokensOut)
def password_login(body: dict[str, Any]) -> Any:
    """Log in as staff (`username`: `name@credit-code` of the enterprise), a regulator or an administrator.

    Wrong passwords lock the address they come from out of the account (after 5, for 30 s doubling to an hour);
    addresses the account has not logged in from are slowed down after 10 (one try per 2 s doubling to a minute);
    an address it logged in from in the last 90 days is never slowed by others' failures. A refusal while locked
    or slowed carries `retry_after` (seconds)."""
    return _tokens(login.password_login(auth_context(), body["username"], body["password"], client_address()))


@auth.post("/refresh")
@allow(ANYONE)
@auth.arguments(RefreshIn)
@auth.response(200, TokensOut)
def refresh(body: dict[str, Any]) -> Any:
    """New tokens for a refresh token (which is used up: each refresh token works once)."""
    return _tokens(login.refresh(auth_context(), body["refresh_token"]))


@auth.post("/logout")
@allow(ANYONE)
@auth.arguments(RefreshIn)
@auth.response(204)
def logout(body: dict[str, Any]) -> None:
    """End the session the refresh token belongs to."""
    login.logout(auth_context(), body["refresh_token"])


@auth.get("/jwks")
@allow(ANYONE)
@auth.response(200, JwksOut)
def jwks() -> Any:
    """The public keys that verify access tokens."""
    return auth_context().issuer.jwks()


@auth.get("/me")
@allow(AUTHENTICATED)
@auth.response(200, CallerOut)
def me() -> Any:
    """Who the bearer token says you are."""
    caller = current_caller()
    return {"subject": caller.subject, "kind": caller.kind, "enterprise_id": caller.enterprise_id,
            "roles": sorted(caller.roles), "projects": {p: sorted(f) for p, f in caller.projects.items()}}


def _account_out(account: Any) -> dict[str, Any]:
    return {**{k: getattr(account, k) for k in ("id", "username", "login", "kind", "enterprise_id",
                                                 "display_name", "disabled", "created_at")},
            "phone": accounts.masked_phone(auth_context(), account)}


@auth.route("/accounts")
class Accounts(MethodView):
    @allow(*ENTERPRISE_ROLES)
    @auth.arguments(AccountIn)
    @auth.response(201, AccountOut)
    def post(self, body: dict[str, Any]) -> Any:
        """Create a staff account of your enterprise (log in with the enterprise certificate).

        User names are unique within your enterprise only: the account logs in as `name@credit-code` (its `login`).
        The password must be strong: 422 `weak_password` says why not."""
        caller = _enterprise_caller()
        return _account_out(accounts.create_account(auth_context(), caller, enterprise_id=caller.enterprise_id,
                                                    **body))

    @allow(*ENTERPRISE_ROLES, REGULATOR)
    @auth.response(200, AccountPage)
    def get(self) -> Any:
        """Your enterprise's accounts (a regulator sees all)."""
        return {"items": [_account_out(a) for a in accounts.accounts_of(auth_context(), current_caller())]}


@auth.route("/accounts/<account_id>")
class OneAccount(MethodView):
    @allow(AUTHENTICATED)
    @auth.arguments(RevealArgs, location="query")
    @auth.response(200, AccountOut)
    def get(self, args: dict[str, Any], account_id: str) -> Any:
        """One account; ``?reveal=phone&reason=…`` shows the number in full, and is audited (R4)."""
        ctx, caller = auth_context(), current_caller()
        with ctx.db.transaction() as session:
            account = accounts.visible_account(session, caller, account_id)
        out = _account_out(account)
        if args["reveal"] == "phone":
            if not args["reason"]:
                raise Problem(422, "reason_required", "Say why you need the full number", field="reason",
                              message_zh="查看完整号码须说明理由：请填写理由（reason）。")
            out["phone"] = accounts.reveal_phone(ctx, caller, account_id, args["reason"])
        return out

    @allow(*ENTERPRISE_ROLES)
    @auth.arguments(AccountPatch)
    @auth.response(200, AccountOut)
    def patch(self, body: dict[str, Any], account_id: str) -> Any:
        """Disable (or enable again) a staff account: its sessions end at once."""
        return _account_out(accounts.set_disabled(auth_context(), _enterprise_caller(), account_id,
                                                  body["disabled"]))


@auth.put("/projects/<project_id>/manager")
@allow(*ENTERPRISE_ROLES)
@auth.arguments(ManagerIn)
@auth.response(200, ManagerOut)
def appoint_manager(body: dict[str, Any], project_id: str) -> Any:
    """Appoint your project manager on a project (R32): one of your staff, or a new project account.

    `account_id` appoints an existing staff account of yours; `account` creates the staff account (the project
    account, 项目账号) and appoints it in one transaction, with an audit record for each.

    Naturally idempotent, so no `Idempotency-Key` header is needed: the same call again (the same user name of
    your enterprise, the same project) answers the same account and appointment and creates nothing; it never
    changes the existing account's password. User names are your enterprise's own: another enterprise's names
    do not matter, and the account logs in as `name@credit-code` (its `login`).
    """
    caller = _enterprise_caller()
    if ("account_id" in body) == ("account" in body):
        raise Problem(422, "account_id_or_account", "Name either an existing account or a new one",
                      "Send `account_id` or `account`, not both and not neither.", field="account_id",
                      message_zh="请指定一个已有账号（account_id）或新建一个账号（account），二者只填其一。")
    if "account" in body:
        account, manager = project_accounts.appoint_new_account(auth_context(), caller, project_id, **body["account"])
    else:
        account, manager = delegation.appoint_manager(auth_context(), caller, project_id, body["account_id"])
    return {"project_id": manager.project_id, "enterprise_id": manager.enterprise_id,
            "account_id": manager.account_id, "appointed_at": manager.appointed_at, "account": _account_out(account)}


@auth.route("/projects/<project_id>/delegations")
class Delegations(MethodView):
    @allow(PROJECT_MANAGER, *ENTERPRISE_ROLES)
    @auth.response(200, DelegationPage)
    def get(self, project_id: str) -> Any:
        """The functions delegated on this project."""
        return {"items": delegation.delegations(auth_context(), current_caller(), project_id)}

    @allow(PROJECT_MANAGER)
    @auth.arguments(DelegationIn)
    @auth.response(201, DelegationPage)
    def post(self, body: dict[str, Any], project_id: str) -> Any:
        """Delegate functions of this project to one of your staff (R32)."""
        return {"items": delegation.delegate(auth_context(), current_caller(), project_id, body["account_id"],
                                             body["functions"])}


@auth.delete("/projects/<project_id>/delegations/<delegation_id>")
@allow(PROJECT_MANAGER, *ENTERPRISE_ROLES)
@auth.response(204)
def revoke_delegation(project_id: str, delegation_id: str) -> None:
    """Take a delegated function back."""
    delegation.revoke(auth_context(), current_caller(), project_id, delegation_id)


def _enterprise_caller() -> Any:
    caller = current_caller()
    if caller.kind != "enterprise" or caller.enterprise_id is None:
        raise Problem(403, "enterprise_login_required", "Log in with the enterprise certificate to do this",
                      message_zh="此项操作须用单位的数字证书登录。")
    return caller
