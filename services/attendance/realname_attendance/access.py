"""Who may manage a project's gates, and whose faces a caller may handle (R21, R32; PIPL art. 28-29).

Gates are the general contractor's: its project account, or staff it delegated ``manage_gates`` to (R32), on a
project the contractor runs. A face is the employer's to upload, and the general contractor's (with
``manage_gates``) for a worker admitted to one of its projects. Regulators read.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.models import Admission, Project, Worker
from realname_codes.roles import ADMIN, MANAGE_GATES, REGULATOR
from realname_kit.auth import Caller, current_caller, require_project_function
from realname_kit.problems import Problem

READERS_OF_EVERYTHING = frozenset({REGULATOR, ADMIN})


def known_project(session: Session, project_id: str) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise Problem(404, "project_not_found", "No project has this id",
                      "Take the id from the project's registration; a project registered a moment ago is known "
                      "here within seconds.", project_id=project_id,
                      message_zh="找不到该项目：请从项目登记信息中复制项目编号；刚登记的项目需几秒后才能查到。")
    return project


def require_gate_manager(session: Session, project_id: str) -> tuple[Caller, Project]:
    """The caller, when it manages the gates of ``project_id``: the general contractor's, holding manage_gates."""
    project = known_project(session, project_id)
    caller = require_project_function(project_id, MANAGE_GATES, (project.general_contractor_id,))
    if project.completed_at is not None:
        raise Problem(409, "project_completed", "The project is completed",
                      "A completed project's gates cannot be changed; its records stay readable.",
                      project_id=project_id, message_zh="该项目已竣工：不能再更改其闸机，记录仍可查看。")
    return caller, project


def may_read_gates(caller: Caller, project: Project) -> bool:
    """Regulators and operators read every project's gates; the general contractor's gate managers its own."""
    if caller.roles & READERS_OF_EVERYTHING:
        return True
    return caller.acts_for(project.general_contractor_id) and caller.holds(project.id, MANAGE_GATES)


def require_gate_reader(session: Session, project_id: str) -> tuple[Caller, Project]:
    project = known_project(session, project_id)
    caller = current_caller()
    if caller.anonymous:
        raise Problem(401, "unauthenticated", "Log in to call this endpoint", message_zh="尚未登录：请先登录再操作。")
    if not may_read_gates(caller, project):
        raise Problem(404, "project_not_found", "No project of yours has this id", project_id=project_id,
                      message_zh="找不到贵单位管理闸机的这个项目：请核对项目编号。")
    return caller, project


def may_handle_face(session: Session, caller: Caller, worker: Worker) -> bool:
    """The worker's employer; or the general contractor holding manage_gates on a project the worker is admitted to
    (accepted, not exited)."""
    if caller.acts_for(worker.employer_id):
        return True
    projects = session.scalars(select(Admission.project_id).where(Admission.worker_id == worker.worker_id,
                                                                  Admission.status == "accepted"))
    for project_id in set(projects):
        project = session.get(Project, project_id)
        if project is not None and caller.acts_for(project.general_contractor_id) \
                and caller.holds(project_id, MANAGE_GATES):
            return True
    return False
