"""Teams (班组): per employer and project, named once there (R16), led by one of their workers (R17)."""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from realname_kit.auth import Caller
from realname_kit.db import Database
from realname_kit.pagination import keyset_page
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow
from realname_registry.models import OUTBOX, Employment, Team, Worker
from realname_registry.participation import project_taken_part_in
from realname_registry.workers.access import employer_of, reads_all
from realname_registry.workers.events import team_formed, team_leader_changed


def create_team(db: Database, caller: Caller, project_id: str, name: str) -> Team:
    employer_id = employer_of(caller)
    name = unicodedata.normalize("NFKC", name).strip()
    if not name:
        raise Problem(422, "team_name_missing", "Give the team a name", field="name",
                      message_zh="请填写班组名称。")
    try:
        with db.transaction() as session:
            project_taken_part_in(session, caller, project_id)  # R16, R21: a team on a project it is in
            _refuse_duplicate(session, employer_id, project_id, name)
            team = Team(employer_id=employer_id, project_id=project_id, name=name, created_at=utcnow())
            session.add(team)
            session.flush()
            # Written with the team: no team without its event, no event of a team rolled back.
            OUTBOX.record(session, "team.formed", team_formed(team))
            return team
    except IntegrityError:  # the same name created at the same moment: the other one won
        with db.transaction() as session:
            _refuse_duplicate(session, employer_id, project_id, name)
        raise


def _refuse_duplicate(session: Session, employer_id: str, project_id: str, name: str) -> None:
    existing = session.scalars(select(Team).where(Team.employer_id == employer_id, Team.project_id == project_id,
                                                  Team.name == name)).first()
    if existing is not None:  # R16: no duplicate teams, so no workers duplicated across them
        raise Problem(409, "team_exists", "You already have a team of this name on this project",
                      "Use the existing team.", existing=team_out(session, existing),
                      message_zh="贵单位在该项目上已有同名班组：请使用已有班组（见 existing），或换一个名称。")


def visible_team(session: Session, caller: Caller, team_id: str) -> Team:
    team = session.scalars(select(Team).where(Team.id == team_id)).first()
    if team is None or not (reads_all(caller) or caller.acts_for(team.employer_id)):
        raise Problem(404, "team_not_found", "No team of yours has this id", team_id=team_id,
                      message_zh="找不到贵单位的这个班组：请核对班组编号。")
    return team


def list_teams(session: Session, caller: Caller, project_id: str | None, limit: int,
               cursor: str | None) -> tuple[list[Team], str | None]:
    query = select(Team)
    if not reads_all(caller):
        query = query.where(Team.employer_id == (caller.enterprise_id or ""))
    if project_id:
        query = query.where(Team.project_id == project_id)
    return keyset_page(session, query, Team.seq, limit, cursor)


def name_leader(session: Session, caller: Caller, team_id: str, worker_id: str) -> Team:
    """R17: name the team's (new) leader; its workers are the team's, so they follow in this one step."""
    employer_of(caller)
    team = visible_team(session, caller, team_id)
    member = session.scalars(select(Employment).where(Employment.worker_id == worker_id,
                                                      Employment.status == "active")).first()
    if member is None or member.team_id != team.id:
        raise Problem(422, "leader_not_in_team", "The leader must be a worker of this team",
                      "Put the worker in the team first (edit their employment's team_id).", field="worker_id",
                      message_zh="班组长必须是本班组的工人：请先把该工人编入本班组（修改其用工信息的班组）。")
    appoint(session, team, worker_id)
    return team


def appoint(session: Session, team: Team, worker_id: str) -> None:
    """Make a worker of the team its leader (once: naming the leader again changes nothing)."""
    lock_team(session, team)
    if team.leader_worker_id == worker_id:
        return
    previous, team.leader_worker_id = team.leader_worker_id, worker_id
    team.version += 1
    session.flush()
    OUTBOX.record(session, "team.leader_changed", team_leader_changed(team, previous, member_count(session, team)))


def lock_team(session: Session, team: Team) -> None:
    """Every change of a team's leader (by hand, by an import in the consumer, by a resignation or death) takes
    the team's row first and reads it afresh, so that no two of them decide on the same old leader (R17)."""
    session.refresh(team, with_for_update=True)


def team_out(session: Session, team: Team) -> dict[str, Any]:
    leader = session.scalars(select(Worker).where(Worker.id == team.leader_worker_id)).first() \
        if team.leader_worker_id else None
    return {"id": team.id, "employer_id": team.employer_id, "project_id": team.project_id, "name": team.name,
            "leader_worker_id": team.leader_worker_id, "leader_name": leader.name if leader else None,
            "needs_leader": team.leader_worker_id is None, "members": member_count(session, team),
            "created_at": team.created_at, "version": team.version}


def member_count(session: Session, team: Team) -> int:
    """The team's workers: those whose active employment names it."""
    return session.scalar(select(func.count()).select_from(Employment).where(
        Employment.team_id == team.id, Employment.status == "active")) or 0
