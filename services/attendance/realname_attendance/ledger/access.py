"""Who reads a project's attendance ledger, and who corrects it (R21, R32).

- Regulators read every project's ledger; the platform's operators do not (workers' names and hours are personal
  data they have no need of).
- The general contractor (its certificate login), and its staff holding ``view_workforce`` or
  ``correct_attendance`` on the project, read every worker of the project.
- An employer taking part in the project (a contract in its chain, or workers admitted to it) reads its own workers:
  its certificate login, or its staff holding ``view_workforce`` there.
- Anyone else is told the project does not exist for them (404).

Corrections are the general contractor's: its project account, or staff it delegated ``correct_attendance`` to.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from realname_attendance.access import known_project
from realname_attendance.models import Admission, Project, ProjectContract
from realname_codes.roles import CORRECT_ATTENDANCE, REGULATOR, VIEW_WORKFORCE
from realname_kit.auth import Caller, current_caller, require_project_function
from realname_kit.problems import Problem


@dataclass(frozen=True, slots=True)
class LedgerScope:
    """The part of a project's ledger a caller reads: every worker's (``employer_id`` None), or one employer's."""

    project: Project
    employer_id: str | None


def require_ledger_reader(session: Session, project_id: str) -> LedgerScope:
    caller = current_caller()
    if caller.anonymous:
        raise Problem(401, "unauthenticated", "Log in to call this endpoint", message_zh="尚未登录：请先登录再操作。")
    project = known_project(session, project_id)
    if REGULATOR in caller.roles or _for_general_contractor(caller, project):
        return LedgerScope(project, None)
    employer_id = caller.enterprise_id
    if employer_id is not None and (caller.kind == "enterprise" or caller.holds(project.id, VIEW_WORKFORCE)) \
            and _takes_part(session, project.id, employer_id):
        return LedgerScope(project, employer_id)
    raise Problem(404, "project_not_found", "No project of yours has this id", project_id=project_id,
                  message_zh="找不到贵单位参与的这个项目：请核对项目编号。")


def require_corrector(session: Session, project_id: str) -> tuple[Caller, Project]:
    """The caller, when it corrects the ledger of ``project_id``: the general contractor's, holding the function."""
    project = known_project(session, project_id)
    caller = require_project_function(project_id, CORRECT_ATTENDANCE, (project.general_contractor_id,))
    return caller, project


def _for_general_contractor(caller: Caller, project: Project) -> bool:
    if not caller.acts_for(project.general_contractor_id):
        return False
    return caller.kind == "enterprise" or caller.holds(project.id, VIEW_WORKFORCE) \
        or caller.holds(project.id, CORRECT_ATTENDANCE)


def _takes_part(session: Session, project_id: str, enterprise_id: str) -> bool:
    contract = exists().where(ProjectContract.project_id == project_id, ProjectContract.contractor_id == enterprise_id)
    admitted = exists().where(Admission.project_id == project_id, Admission.employer_id == enterprise_id)
    return bool(session.scalar(select(or_(contract, admitted))))
