"""What an account or a certificate may do, computed afresh at every login and refresh (R32)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_codes.roles import ADMIN, PROJECT_FUNCTIONS, PROJECT_MANAGER, REGULATOR, STAFF
from realname_gateway.auth.models import Account, Certificate, Delegation, Enterprise, ProjectManager
from realname_gateway.auth.tokens import Grant


def certificate_grant(session: Session, certificate: Certificate) -> Grant:
    enterprise = session.get(Enterprise, certificate.enterprise_id)
    assert enterprise is not None
    return Grant(subject=certificate.id, kind="enterprise", roles=frozenset({enterprise.kind}),
                 enterprise_id=enterprise.enterprise_id, certificate=certificate.fingerprint)


def account_grant(session: Session, account: Account) -> Grant:
    if account.kind in (REGULATOR, ADMIN):
        return Grant(subject=account.id, kind=account.kind, roles=frozenset({account.kind}),
                     version=account.grant_version or 0)
    projects: dict[str, set[str]] = {}
    managed = list(session.scalars(select(ProjectManager.project_id).where(ProjectManager.account_id == account.id)))
    for project_id in managed:
        projects[project_id] = set(PROJECT_FUNCTIONS)
    delegated = session.execute(select(Delegation.project_id, Delegation.function).where(
        Delegation.account_id == account.id, Delegation.revoked_at.is_(None)))
    for project_id, function in delegated:
        projects.setdefault(project_id, set()).add(function)
    roles = {STAFF, PROJECT_MANAGER} if managed else {STAFF}
    return Grant(subject=account.id, kind=STAFF, roles=frozenset(roles), enterprise_id=account.enterprise_id,
                 projects={p: frozenset(f) for p, f in projects.items()}, version=account.grant_version or 0)

