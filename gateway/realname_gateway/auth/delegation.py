"""Project managers and what they delegate to project staff (R32)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_codes.roles import PROJECT_FUNCTIONS, STAFF, USING_ENTERPRISE_ROLES
from realname_gateway.auth.context import AuthContext
from realname_gateway.auth.models import OUTBOX, Account, Delegation, ProjectManager
from realname_gateway.auth.participation import require_participation
from realname_gateway.auth.sessions import take_rights_back
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow


def appoint_manager(ctx: AuthContext, caller: Caller, project_id: str,
                    account_id: str) -> tuple[Account, ProjectManager]:
    """The using enterprise names which of its staff manages its part of a project."""
    enterprise_id = using_enterprise(caller)
    require_participation(ctx, project_id, enterprise_id)  # R21: only on a project it takes part in
    with ctx.db.transaction() as session:
        return appoint(session, caller, enterprise_id, project_id, account_id,
                       token_seconds=ctx.settings.access_token_seconds)


def using_enterprise(caller: Caller) -> str:
    """The caller's enterprise, if it is one that appoints project managers."""
    if caller.kind != "enterprise" or not caller.roles & USING_ENTERPRISE_ROLES or caller.enterprise_id is None:
        raise Problem(403, "forbidden", "Only a general contractor or specialty subcontractor appoints project "
                      "managers",
                      message_zh="只有总承包单位或专业分包单位才能任命项目经理。")
    return caller.enterprise_id


def appoint(session: Session, caller: Caller, enterprise_id: str, project_id: str, account_id: str, *,
            token_seconds: int, field: str = "account_id") -> tuple[Account, ProjectManager]:
    """Appoint within the caller's transaction; appointing the manager already in place changes nothing (R33)."""
    account = _staff_of(session, enterprise_id, account_id, field=field)
    manager = session.get(ProjectManager, (project_id, enterprise_id))
    if manager is not None and manager.account_id == account_id:
        return account, manager
    if manager is None:
        manager = ProjectManager(project_id=project_id, enterprise_id=enterprise_id)
        session.add(manager)
    else:  # the manager replaced loses the project's functions: at once, not when a token expires (R32)
        _take_back(session, manager.account_id, token_seconds)
    manager.account_id, manager.appointed_at = account_id, utcnow()
    record_audit(session, OUTBOX, action="delegation.manager_appointed", actor=caller, subject=account_id,
                 details={"project_id": project_id})
    return account, manager


def delegate(ctx: AuthContext, caller: Caller, project_id: str, account_id: str,
             functions: Iterable[str]) -> list[Delegation]:
    wanted = set(functions)
    unknown = wanted - PROJECT_FUNCTIONS
    if unknown or not wanted:
        raise Problem(422, "function_unknown", "Only project functions can be delegated",
                      f"Known: {', '.join(sorted(PROJECT_FUNCTIONS))}.", field="functions",
                      message_zh=f"只能授权项目职能：可选的有 {', '.join(sorted(PROJECT_FUNCTIONS))}。")
    with ctx.db.transaction() as session:
        manager = _managing(session, caller, project_id)
        _staff_of(session, manager.enterprise_id, account_id)
        held = set(session.scalars(select(Delegation.function).where(
            Delegation.project_id == project_id, Delegation.account_id == account_id,
            Delegation.revoked_at.is_(None))))
        granted = [Delegation(project_id=project_id, account_id=account_id, function=f, granted_by=manager.account_id)
                   for f in sorted(wanted - held)]  # delegating twice keeps one grant
        session.add_all(granted)
        record_audit(session, OUTBOX, action="delegation.granted", actor=caller, subject=account_id,
                     details={"project_id": project_id, "functions": sorted(wanted)})
        return active_delegations(session, project_id, manager.enterprise_id)


def revoke(ctx: AuthContext, caller: Caller, project_id: str, delegation_id: str) -> None:
    with ctx.db.transaction() as session:
        manager = _managing(session, caller, project_id)
        grant = session.get(Delegation, delegation_id)
        if grant is None or grant.project_id != project_id or grant.revoked_at is not None:
            raise Problem(404, "delegation_not_found", "No such delegation on this project",
                          message_zh="该项目上没有这项授权：请核对。")
        _staff_of(session, manager.enterprise_id, grant.account_id)
        grant.revoked_at = utcnow()
        # its tokens holding the function are refused within seconds (R32)
        _take_back(session, grant.account_id, ctx.settings.access_token_seconds)
        record_audit(session, OUTBOX, action="delegation.revoked", actor=caller, subject=grant.account_id,
                     details={"project_id": project_id, "function": grant.function})


def delegations(ctx: AuthContext, caller: Caller, project_id: str) -> list[Delegation]:
    with ctx.db.transaction() as session:
        manager = _managing(session, caller, project_id)
        return active_delegations(session, project_id, manager.enterprise_id)


def active_delegations(session: Session, project_id: str, enterprise_id: str) -> list[Delegation]:
    return list(session.scalars(select(Delegation).join(Account, Account.id == Delegation.account_id).where(
        Delegation.project_id == project_id, Delegation.revoked_at.is_(None),
        Account.enterprise_id == enterprise_id).order_by(Delegation.granted_at, Delegation.id)))


def _take_back(session: Session, account_id: str, token_seconds: int) -> None:
    account = session.get(Account, account_id)
    if account is not None:
        take_rights_back(session, account, token_seconds=token_seconds, now=utcnow())


def _managing(session: Session, caller: Caller, project_id: str) -> ProjectManager:
    """The caller's management of the project: as its manager, or as the enterprise that appointed one."""
    if caller.enterprise_id is None:
        raise Problem(403, "not_project_manager", "You do not manage this project",
                      message_zh="您不是该项目的项目经理，不能授权。")
    manager = session.get(ProjectManager, (project_id, caller.enterprise_id))
    if manager is None or not (manager.account_id == caller.subject or caller.kind == "enterprise"):
        raise Problem(403, "not_project_manager", "You do not manage this project",
                      "Its enterprise appoints the project manager.",
                      message_zh="您不是该项目的项目经理：项目经理由其所属单位任命。")
    return manager


def _staff_of(session: Session, enterprise_id: str, account_id: str, *, field: str = "account_id") -> Account:
    account = session.get(Account, account_id)
    if account is None or account.enterprise_id != enterprise_id or account.kind != STAFF or account.disabled:
        raise Problem(422, "account_not_staff", "The account is not active staff of your enterprise", field=field,
                      message_zh="该账号不是贵单位在用的员工账号：请选择本单位的在用账号。")
    return account
