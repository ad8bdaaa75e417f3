"""A project account (项目账号): a staff account made and appointed project manager in one transaction (R32)."""

from __future__ import annotations

from contextlib import suppress

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from realname_gateway.auth import accounts, delegation
from realname_gateway.auth.context import AuthContext
from realname_gateway.auth.models import Account, ProjectManager
from realname_gateway.auth.participation import require_participation
from realname_kit.auth import Caller


def appoint_new_account(ctx: AuthContext, caller: Caller, project_id: str, *, username: str, display_name: str,
                        password: str, phone: str | None = None) -> tuple[Account, ProjectManager]:
    """Create the caller's staff account and appoint it manager of the project, or find both made already.

    The user name identifies the account within the caller's enterprise: when it already has staff of that name,
    that account is appointed as it is (a retry never changes its password, name or phone). Other enterprises'
    names are not looked at: they have their own.
    """
    enterprise_id = delegation.using_enterprise(caller)  # before anything is made: a labour firm appoints nothing
    require_participation(ctx, project_id, enterprise_id)  # nor an enterprise on a project it takes no part in (R21)

    def attempt() -> tuple[Account, ProjectManager]:
        fresh = accounts.new_account(ctx, caller, username=username, display_name=display_name, password=password,
                                     enterprise_id=enterprise_id, phone=phone)  # hashed outside the transaction
        with ctx.db.transaction() as session:
            account = session.scalar(select(Account).where(Account.login == fresh.login))  # this enterprise's only
            if account is None:
                account = accounts.add_account(session, caller, fresh)
            return delegation.appoint(session, caller, enterprise_id, project_id, account.id, field="account",
                                      token_seconds=ctx.settings.access_token_seconds)

    with suppress(IntegrityError):  # a twin request stored the same rows meanwhile: the second attempt finds them
        return attempt()
    try:
        return attempt()
    except IntegrityError:
        raise accounts.username_taken() from None
