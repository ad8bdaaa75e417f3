"""What the assignment service learns of workers and teams from the registry, and the exits it causes (R24).

The registry's events may arrive late or twice; each handler keeps the newest knowledge only:
- an employment is known by its id: an ``employment.ended`` of an older employment changes nothing now, and a
  ``worker.registered`` of an employment already known to have ended does not bring it back;
- ``worker.updated`` carries the registry's version, so an older update is ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_
from sqlalchemy.orm import Session

from realname_assignment.assignment_rules import DECEASED, EMPLOYMENT_ENDED
from realname_assignment.exits import exit_assignments
from realname_assignment.models import Assignment, KnownTeam, KnownWorker
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.fields import required_instant, required_text
from realname_kit.bus.processing import Handler

ACTIVE, ENDED = "active", "ended"


def worker_registered(session: Session, event: Envelope) -> None:
    """``worker.registered``: the worker, employed by ``employer_id`` under ``employment_id``, may be assigned."""
    data = event.data
    worker_id, employment_id = required_text(event, "worker_id"), required_text(event, "employment_id")
    registered_at = required_instant(event, "registered_at")
    worker = session.get(KnownWorker, worker_id, with_for_update=True)
    if worker is None:
        worker = KnownWorker(worker_id=worker_id, version=0, deceased=False)
        session.add(worker)
    elif worker.employment_id == employment_id and worker.employment_status == ENDED:
        return  # this employment has ended already: its registration arrived after its end
    elif _older(registered_at, worker.registered_at):
        return  # a newer employment is known
    worker.employer_id, worker.employment_id = required_text(event, "employer_id"), employment_id
    worker.employment_status, worker.registered_at = ACTIVE, registered_at
    worker.name, worker.category = str(data.get("name") or ""), str(data.get("category") or "construction")
    worker.identity_status = str(data.get("identity_status") or "unverified")
    worker.trade_code, worker.team_id = data.get("trade_code"), data.get("team_id")
    _learn_masked_numbers(worker, data)


def worker_updated(session: Session, event: Envelope) -> None:
    """``worker.updated``: newer facts (name, masked numbers, identity status, team, trade) of a known worker."""
    data = event.data
    worker = session.get(KnownWorker, required_text(event, "worker_id"), with_for_update=True)
    version = data.get("version")
    if worker is None or not isinstance(version, int) or version <= worker.version:
        return  # unknown: its registration brings the facts; older: newer facts are here already
    worker.version = version
    worker.name = str(data.get("name") or worker.name)
    worker.identity_status = str(data.get("identity_status") or worker.identity_status)
    _learn_masked_numbers(worker, data)
    if data.get("employment_id") and data["employment_id"] == worker.employment_id:
        worker.team_id, worker.trade_code = data.get("team_id"), data.get("trade_code")


def employment_ended(session: Session, event: Envelope) -> None:
    """``employment.ended``: the worker exits every project their employer put them on (R24)."""
    worker_id, employment_id = required_text(event, "worker_id"), required_text(event, "employment_id")
    employer_id = required_text(event, "employer_id")
    worker = session.get(KnownWorker, worker_id, with_for_update=True)
    if worker is None:  # its end arrived before its registration: remember it, so that it stays ended
        worker = KnownWorker(worker_id=worker_id, employer_id=None, employment_id=employment_id, name="",
                             category="construction", identity_status="unverified", employment_status=ENDED,
                             deceased=False, version=0)
        session.add(worker)
    elif worker.employment_id == employment_id:
        worker.employer_id, worker.employment_status = None, ENDED
    cause = DECEASED if event.data.get("cause") == "death" else EMPLOYMENT_ENDED
    exit_assignments(session, and_(Assignment.worker_id == worker_id, Assignment.employer_id == employer_id), cause)


def worker_died(session: Session, event: Envelope) -> None:
    """``worker.died``: the worker exits every project (R24), and can no longer be assigned."""
    worker_id = required_text(event, "worker_id")
    worker = session.get(KnownWorker, worker_id, with_for_update=True)
    if worker is None:
        worker = KnownWorker(worker_id=worker_id, name="", category="construction", identity_status="unverified",
                             employment_status=ENDED, version=0)
        session.add(worker)
    worker.deceased, worker.employer_id, worker.employment_status = True, None, ENDED
    exit_assignments(session, Assignment.worker_id == worker_id, DECEASED)


def team_formed(session: Session, event: Envelope) -> None:
    """``team.formed``: a team of one employer on one project (R16), which assignments may name."""
    team_id = required_text(event, "team_id")
    if session.get(KnownTeam, team_id) is None:
        session.add(KnownTeam(team_id=team_id, employer_id=required_text(event, "employer_id"),
                              project_id=required_text(event, "project_id"), name=str(event.data.get("name") or "")))


def _learn_masked_numbers(worker: KnownWorker, data: dict[str, Any]) -> None:
    """Only masked numbers are kept (R4); an event without them (an older registry) leaves what is known."""
    for key in ("id_number_masked", "phone_masked"):
        value = data.get(key)
        if isinstance(value, str) and value and _is_masked(value):
            setattr(worker, key, value[:24])


def _is_masked(value: str) -> bool:
    """A plain number is never stored here, even if a faulty sender put one in the masked field."""
    return "*" in value


def _older(when: datetime, than: datetime | None) -> bool:
    return than is not None and when < than


worker_handlers: dict[str, Handler] = {
    "worker.registered": worker_registered, "worker.updated": worker_updated,
    "employment.ended": employment_ended, "worker.died": worker_died, "team.formed": team_formed,
}
