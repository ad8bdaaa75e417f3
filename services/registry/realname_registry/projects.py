"""Projects as the registry knows them: learned from the assignment service's ``project.registered``."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage
from realname_kit.problems import Problem
from realname_registry.models import Project


def learn_project(session: Session, event: Envelope) -> None:
    """Handler of ``project.registered``: one row per project, however often the event arrives."""
    data = event.data
    try:
        project = Project(id=str(data["project_id"]), name=str(data["name"]),
                          registration_number=str(data["registration_number"]),
                          general_contractor_id=str(data["general_contractor_id"]),
                          planned_completion=date.fromisoformat(str(data["planned_completion"])))
    except (KeyError, ValueError) as exc:
        raise PoisonMessage(f"project.registered without a valid {exc}") from exc
    if session.get(Project, project.id) is None:
        session.add(project)


def known_project(session: Session, project_id: str) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise Problem(422, "project_unknown", "No project has this id",
                      "Take the id from the project's registration; a project registered a moment ago "
                      "is known here within seconds.", field="project_id", project_id=project_id,
                      message_zh="找不到该项目：请从项目登记信息中复制项目编号；刚登记的项目需几秒后才能查到。")
    return project
