"""Registering projects and reading them: the service functions behind the project endpoints."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from realname_assignment.contract_rules import COMPLETED, GENERAL, OWN_TIER
from realname_assignment.models import OUTBOX, Contract, Party, Project
from realname_assignment.project_rules import (
    ACTIVE,
    READERS,
    general_contractor_for,
    may_read,
    normalise_registration_number,
    planned_dates_problem,
    registration_number_problem,
)
from realname_assignment.schemas import ProjectSchema
from realname_codes.participation import participation
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.db import Database
from realname_kit.pagination import keyset_page, seq_after
from realname_kit.problems import Problem

PROJECT_REGISTERED = "project.registered"


def register_project(session: Session, caller: Caller, *, name: str, registration_number: str, address: str,
                     planned_start: date, planned_completion: date,
                     general_contractor_id: str | None = None) -> Project:
    """Register a project once per registration number (a retry finds the first one: 409 with it).

    Two registrations of one number at the same moment meet at the unique index: the loser runs again
    (``run_once``) and is answered 409 with the winner's project.
    """
    contractor = general_contractor_for(caller, general_contractor_id)
    number = normalise_registration_number(registration_number)
    why = registration_number_problem(number)
    if why:
        raise Problem(422, "registration_number_invalid", "The registration number is not valid", why,
                      field="registration_number",
                      message_zh="项目注册编号不正确（最多只能含字母、数字、“-”和“/”）：请对照施工许可或备案文件核对。")
    why = planned_dates_problem(planned_start, planned_completion)
    if why:
        raise Problem(422, "planned_dates_reversed", "The planned completion is before the planned start", why,
                      field="planned_completion",
                      message_zh="计划竣工日期早于计划开工日期：请核对这两个日期。")
    _require_general_contractor(session, contractor)
    existing = _by_number(session, number)
    if existing is not None:
        raise _already(existing, caller)
    project = Project(name=name, registration_number=number, address=address, planned_start=planned_start,
                      planned_completion=planned_completion, general_contractor_id=contractor)
    session.add(project)
    session.flush()
    # R13: the general contractor's own contract on its project, through which it assigns its site staff
    session.add(Contract(project_id=project.id, tier=OWN_TIER, kind=GENERAL, awarded_by=contractor,
                         contractor_id=contractor, status=ACTIVE))
    OUTBOX.record(session, PROJECT_REGISTERED, project_event(project))
    record_audit(session, OUTBOX, action=PROJECT_REGISTERED, actor=caller, subject=project.id,
                 details={"registration_number": number, "general_contractor_id": contractor})
    return project


def project_event(p: Project) -> dict[str, Any]:
    """The ``data`` of ``project.registered``: the project as the API answers it, dates as ISO strings."""
    return {"project_id": p.id, "seq": p.seq, "name": p.name, "registration_number": p.registration_number,
            "address": p.address, "planned_start": p.planned_start.isoformat(),
            "planned_completion": p.planned_completion.isoformat(),
            "general_contractor_id": p.general_contractor_id, "status": p.status,
            "registered_at": p.registered_at.isoformat()}


def list_projects(db: Database, caller: Caller, limit: int, cursor: str | None,
                  registration_number: str | None = None) -> tuple[list[Project], str | None]:
    """The projects the caller may read (as ``get_project`` decides), oldest first."""
    seq_after(cursor)
    query = select(Project)
    if not caller.roles & READERS:
        own = caller.enterprise_id
        # R21: its own projects, and those whose contract chain it takes part in
        part_of = select(Contract.project_id).where(or_(Contract.contractor_id == own, Contract.awarded_by == own))
        query = query.where(or_(Project.general_contractor_id == own, Project.id.in_(part_of)) if own else false())
    if registration_number:
        query = query.where(Project.registration_number == normalise_registration_number(registration_number))
    with db.transaction() as session:
        return keyset_page(session, query, Project.seq, limit, cursor)


def get_project(db: Database, caller: Caller, project_id: str) -> Project:
    """One project, for whom ``may_read`` admits; anybody else gets 404, not a hint that it exists."""
    with db.transaction() as session:
        found = session.scalars(select(Project).where(Project.id == project_id)).first()
        visible = found is not None and (may_read(caller, found.general_contractor_id)
                                         or takes_part(session, caller, found.id))
    if found is None or not visible:
        raise Problem(404, "project_not_found", "No project with this id is visible to you", project_id=project_id,
                      message_zh="找不到该项目，或您无权查看：请核对项目编号。")
    return found


def participation_in(db: Database, project_id: str, enterprise_id: str) -> dict[str, str]:
    """Whether the enterprise takes part in the project (its GC, or awarded a contract in its chain), and still."""
    with db.transaction() as session:
        project = session.scalars(select(Project).where(Project.id == project_id)).first()
        if project is None:
            raise Problem(404, "project_not_found", "No project has this id", project_id=project_id,
                          message_zh="找不到该项目：请核对项目编号。")
        held = set(session.scalars(select(Contract.status).where(Contract.project_id == project_id,
                                                                 Contract.contractor_id == enterprise_id)))
        status = participation(enterprise_id, general_contractor_id=project.general_contractor_id,
                               project_completed=project.status == COMPLETED, held=held)
    return {"project_id": project_id, "enterprise_id": enterprise_id, "participation": status}


def takes_part(session: Session, caller: Caller, project_id: str) -> bool:
    """Whether the caller's enterprise holds or awarded a contract of the project (R21)."""
    own = caller.enterprise_id
    if own is None:
        return False
    linked = select(Contract.id).where(Contract.project_id == project_id,
                                       or_(Contract.contractor_id == own, Contract.awarded_by == own)).limit(1)
    return session.scalars(linked).first() is not None


def _require_general_contractor(session: Session, enterprise_id: str) -> None:
    party = session.get(Party, enterprise_id)
    if party is None:
        raise Problem(422, "general_contractor_unknown", "No enterprise with this id is known here",
                      "An enterprise registered a moment ago is known within seconds.",
                      field="general_contractor_id", general_contractor_id=enterprise_id,
                      message_zh="平台上没有这家单位：刚注册的单位需几秒后才能查到，请稍后重试。")
    if party.kind != "general_contractor":
        raise Problem(422, "not_a_general_contractor", "Only a general contractor's project can be registered",
                      f"{party.name} is registered as {party.kind}.", field="general_contractor_id",
                      general_contractor_id=enterprise_id,
                      message_zh=f"{party.name}不是总承包单位，不能登记它的项目：请填写总承包单位。")


def _by_number(session: Session, number: str) -> Project | None:
    return session.scalars(select(Project).where(Project.registration_number == number)).first()


def _already(existing: Project, caller: Caller) -> Problem:
    title = "A project with this registration number is already registered"
    if may_read(caller, existing.general_contractor_id):
        return Problem(409, "project_exists", title, f"It was registered as {existing.name}.",
                       field="registration_number", existing=ProjectSchema().dump(existing),
                       message_zh=f"该项目已登记（名称：{existing.name}），无需重复登记。")
    # Another general contractor's project: its number is taken, and nothing more of it is shown.
    return Problem(409, "project_exists", title,
                   "Another general contractor registered it. If the number is yours, ask the platform's operators.",
                   field="registration_number",
                   message_zh="该项目注册编号已被另一家总承包单位登记：如确属贵单位，请联系平台运营人员。")
