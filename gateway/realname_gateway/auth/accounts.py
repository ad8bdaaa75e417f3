"""Staff accounts of an enterprise, and regulators and administrators made by command."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from realname_codes.roles import ADMIN, REGULATOR, STAFF
from realname_gateway.auth.context import AuthContext
from realname_gateway.auth.models import OUTBOX, Account, Enterprise
from realname_gateway.auth.passwords import hash_password
from realname_gateway.auth.sessions import disable_account
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.privacy.masking import mask_phone
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow

PHONE_CONTEXT = "gateway.accounts.phone"  # as declared in realname_gateway.service.SPEC.protected
_NAMES_A_TENANT = re.compile(r"@[0-9A-Za-z]{18}$")  # ``name@credit-code``: how staff log in


def create_account(ctx: AuthContext, caller: Caller | None, *, username: str, display_name: str, password: str,
                   kind: str = STAFF, enterprise_id: str | None = None, phone: str | None = None) -> Account:
    account = new_account(ctx, caller, username=username, display_name=display_name, password=password, kind=kind,
                          enterprise_id=enterprise_id, phone=phone)
    try:
        with ctx.db.transaction() as session:
            add_account(session, caller, account)
    except IntegrityError:
        raise username_taken() from None
    return account


def new_account(ctx: AuthContext, caller: Caller | None, *, username: str, display_name: str, password: str,
                kind: str = STAFF, enterprise_id: str | None = None, phone: str | None = None) -> Account:
    """The account, not yet stored: hashing (slow on purpose) is done before any transaction holds locks.

    Staff names are unique within their enterprise and log in as ``name@credit-code``; regulators' and
    administrators' names are unique among them and log in alone. So a name taken in another tenant is free."""
    if kind not in (STAFF, REGULATOR, ADMIN):
        raise ValueError(kind)
    enterprise = _enterprise(ctx, enterprise_id) if kind == STAFF else None
    if kind != STAFF and _NAMES_A_TENANT.search(username):
        raise Problem(422, "username_invalid", "This name would read as a staff login", "A regulator's or an "
                      "administrator's name cannot end in @ and a credit code.", field="username",
                      message_zh="监管或管理员账号的用户名不能以“@统一社会信用代码”结尾：请换一个。")
    names = (username, display_name, *((enterprise.name, enterprise.uscc) if enterprise else ()))
    account = Account(username=username, login=f"{username}@{enterprise.uscc}" if enterprise else username,
                      bare_login=None if enterprise else username, kind=kind, enterprise_id=enterprise_id,
                      display_name=display_name, password_hash=hash_password(password, names),
                      created_by=caller.subject if caller else "command")
    if phone:
        account.phone_enc = ctx.keyring.encrypt(phone, context=PHONE_CONTEXT)
        account.phone_bidx = ctx.keyring.blind_index(phone, field=PHONE_CONTEXT, kind="phone")
    return account


def _enterprise(ctx: AuthContext, enterprise_id: str | None) -> Enterprise:
    with ctx.db.transaction() as session:
        enterprise = session.get(Enterprise, enterprise_id) if enterprise_id else None
    if enterprise is None:  # an enterprise's token names an enterprise that logged in, so it is known here
        raise ValueError(f"staff of an enterprise the gateway does not know: {enterprise_id}")
    return enterprise


def add_account(session: Session, caller: Caller | None, account: Account) -> Account:
    """Store a new account with its audit record in the caller's transaction; a name taken in the same tenant
    raises IntegrityError."""
    session.add(account)
    session.flush()
    record_audit(session, OUTBOX, action="account.created", actor=caller, subject=account.id,
                 details={"kind": account.kind, "enterprise_id": account.enterprise_id})
    return account


def username_taken() -> Problem:
    return Problem(409, "username_taken", "This user name is taken", "Your enterprise (or, for a regulator, the "
                   "platform) already has an account of this name: choose another.", field="username",
                   message_zh="本单位（监管账号则为平台）已有同名账号：请换一个用户名。")


def accounts_of(ctx: AuthContext, caller: Caller) -> list[Account]:
    query = select(Account).order_by(Account.created_at, Account.id)
    if "regulator" not in caller.roles:
        query = query.where(Account.enterprise_id == caller.enterprise_id)
    with ctx.db.transaction() as session:
        return list(session.scalars(query))


def visible_account(session: Session, caller: Caller, account_id: str) -> Account:
    """The account, if the caller is its enterprise, the holder, or a regulator; else 404 (no hint it exists)."""
    account = session.get(Account, account_id)
    if account is None or not (REGULATOR in caller.roles or account.id == caller.subject
                               or (caller.kind == "enterprise" and caller.acts_for(account.enterprise_id))):
        raise Problem(404, "account_not_found", "No account with this id is visible to you",
                      message_zh="找不到该账号，或您无权查看：请核对账号编号。")
    return account


def reveal_phone(ctx: AuthContext, caller: Caller, account_id: str, reason: str) -> str:
    """The full phone number, for the account's enterprise or a regulator, with an audit record (R4)."""
    with ctx.db.transaction() as session:
        account = visible_account(session, caller, account_id)
        if not (REGULATOR in caller.roles or caller.kind == "enterprise"):
            raise Problem(403, "reveal_forbidden", "You may not see this number in full",
                          message_zh="您无权查看完整号码。")
        if account.phone_enc is None:
            raise Problem(404, "phone_missing", "This account has no phone number",
                          message_zh="该账号没有登记手机号码。")
        record_audit(session, OUTBOX, action="privacy.reveal", actor=caller, subject=account.id, field="phone",
                     reason=reason)
        return ctx.keyring.decrypt(account.phone_enc, context=PHONE_CONTEXT)


def masked_phone(ctx: AuthContext, account: Account) -> str | None:
    if account.phone_enc is None:
        return None
    return mask_phone(ctx.keyring.decrypt(account.phone_enc, context=PHONE_CONTEXT))


def set_disabled(ctx: AuthContext, caller: Caller, account_id: str, disabled: bool) -> Account:
    with ctx.db.transaction() as session:
        account = visible_account(session, caller, account_id)
        if caller.kind != "enterprise" or account.kind != STAFF:
            raise Problem(403, "forbidden", "Only the account's enterprise may disable or enable it",
                          message_zh="只有账号所属单位才能停用或启用该账号。")
        if disabled and not account.disabled:  # its sessions end, its tokens are refused within seconds
            disable_account(session, account, token_seconds=ctx.settings.access_token_seconds, now=utcnow())
        account.disabled = disabled
        record_audit(session, OUTBOX, action="account.disabled" if disabled else "account.enabled",
                     actor=caller, subject=account.id)
        return account
