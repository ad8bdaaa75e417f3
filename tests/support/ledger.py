"""The attendance ledger's inputs written as the punch intake writes them: judged punches and the days they mark
dirty, in one transaction; and the ledger chore's round run on demand."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from realname_attendance.ledger.chore import LedgerKeeper
from realname_attendance.ledger.dirty import mark_dirty
from realname_attendance.models import Admission, Punch
from tests.support.attendance_site import Site

CHINA = timedelta(hours=8)


def china(day: date, hh_mm: str) -> datetime:
    """``hh_mm`` on ``day`` on a Chinese site (UTC+8), as a UTC instant."""
    hours, minutes = map(int, hh_mm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=UTC) - CHINA


def punch(site: Site, worker_id: str, day: date, hh_mm: str, direction: str | None, *, valid: bool = True,
          reason: str | None = None, project_id: str | None = None) -> None:
    """A judged punch of ``worker_id`` at a gate of the site's project, its day marked dirty with it."""
    project = project_id or site.project_id
    with site.stack.db("attendance").transaction() as session:
        session.add(Punch(device="GATE-1", event_key=str(uuid.uuid4()), at=china(day, hh_mm), day=day,
                          offset_minutes=480, gate_id=None, project_id=project, worker_key="1",
                          worker_id=worker_id, direction=direction, verified_by="face", valid=valid, reason=reason,
                          late=False, has_photo=False, sender="gate-1"))
        mark_dirty(session, [(worker_id, project, day)])


def keeper(site: Site, grace_minutes: int = 60) -> LedgerKeeper:
    return LedgerKeeper(site.stack.db("attendance"), timedelta(minutes=grace_minutes), batch=50)


def after_day(day: date, minutes: int) -> datetime:
    """``minutes`` after the local midnight that ends ``day`` on a Chinese site."""
    return china(day + timedelta(days=1), "00:00") + timedelta(minutes=minutes)


def admit(site: Site, worker_id: str, employer_id: str, since: date, team_id: str | None = None) -> None:
    """The worker admitted to the site's project from the start of ``since`` (an accepted assignment, R19)."""
    with site.stack.db("attendance").transaction() as session:
        session.add(Admission(assignment_id=str(uuid.uuid4()), project_id=site.project_id, worker_id=worker_id,
                              employer_id=employer_id, team_id=team_id, status="accepted",
                              entry_at=china(since, "00:00")))
