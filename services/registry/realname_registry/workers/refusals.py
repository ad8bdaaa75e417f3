"""Why a registration or an edit is refused, said so that a person can act on it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_codes.findings import Finding
from realname_kit.problems import Problem
from realname_registry.models import Employment, Enterprise, Project, Team, Worker


def invalid(findings: Sequence[Finding]) -> None:
    """422 ``worker_invalid`` listing every error (and the warnings), when there is an error."""
    errors = [f.to_dict() for f in findings if f.severity == "error"]
    if errors:
        raise Problem(422, "worker_invalid", "The worker cannot be registered as entered",
                      "; ".join(e["message"] for e in errors), errors=errors,
                      warnings=[f.to_dict() for f in findings if f.severity == "warning"],
                      message_zh="有些项目填得不对：请按 errors 逐项改正后重新提交。")


def already_employed(session: Session, worker: Worker, current: Employment, employer_id: str) -> Problem:
    """R12: one labour company at a time. Says who to contact, or that the worker is already yours."""
    if current.employer_id == employer_id:
        return Problem(409, "already_employed_by_you", "This worker is already registered by you",
                       "Nothing was changed; edit the existing registration instead.", worker_id=worker.id,
                       employment_id=current.id,
                       message_zh="该工人已由贵单位登记，未做任何改动：如需修改，请编辑已有的登记。")
    employer = session.scalars(select(Enterprise).where(Enterprise.id == current.employer_id)).first()
    who = f"{employer.name} (统一社会信用代码 {employer.uscc})" if employer else current.employer_id
    who_zh = f"{employer.name}（统一社会信用代码 {employer.uscc}）" if employer else "另一家单位"
    return Problem(409, "employed_elsewhere", "Another employer holds this worker's labour contract",
                   f"Ask {who} to record the worker's resignation; then register them (R12).",
                   employer={"id": current.employer_id, "name": employer.name if employer else None,
                             "uscc": employer.uscc if employer else None},
                   message_zh=f"该工人的劳动合同在{who_zh}：请该单位先办理离职，再登记（R12）。")


def project_completion(session: Session, team: Team | None) -> date | None:
    if team is None:
        return None
    project = session.get(Project, team.project_id)
    return project.planned_completion if project else None
