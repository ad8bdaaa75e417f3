"""What attendance learns of workers from the registry's events: the name the gates show, the employer, the
contract's end, a death. Each worker gets their gate ``key`` the first time they are heard of.

The registry's events may arrive late or twice; each handler keeps the newest knowledge only:
- ``worker.updated`` carries the registry's version: an older or repeated one is ignored;
- an employment is known by its id: an ``employment.ended`` of an older employment changes nothing, and a
  ``worker.registered`` of an employment already ended (its end overtook it) does not bring it back;
- ``worker.registered`` carries no version: its name is taken for a worker not yet updated, or for a newer
  employment (a returning worker, whose card was read again).
A changed name is told to the whitelist engine (``worker.renamed``): the gates show it.
No personal number is kept here.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.models import OUTBOX, Worker
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.fields import required_instant, required_text
from realname_kit.bus.processing import Handler, PoisonMessage

RENAMED = "worker.renamed"


def worker_registered(session: Session, event: Envelope) -> None:
    employment_id, registered_at = required_text(event, "employment_id"), required_instant(event, "registered_at")
    employer_id, contract_end = required_text(event, "employer_id"), _date(event, "contract_end")
    worker = _worker(session, required_text(event, "worker_id"))
    if worker.employment_id == employment_id and worker.employer_id is None:
        _learn_name(session, worker, event, first_only=True)
        return  # this employment has ended already: its registration arrived after its end
    if worker.registered_at is not None and registered_at <= worker.registered_at:
        _learn_name(session, worker, event, first_only=True)
        return  # this registration, or a newer employment, is known already
    newer_employment = worker.registered_at is not None
    worker.employment_id, worker.registered_at = employment_id, registered_at
    worker.employer_id, worker.contract_end = (None if worker.deceased_on else employer_id), contract_end
    _learn_name(session, worker, event, first_only=not newer_employment)


def worker_updated(session: Session, event: Envelope) -> None:
    worker = _worker(session, required_text(event, "worker_id"))
    version = event.data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise PoisonMessage("worker.updated without an integer version")
    if version <= worker.version:
        return  # older than, or the same as, what was applied
    worker.version = version
    if event.data.get("employment_id") and event.data["employment_id"] == worker.employment_id \
            and event.data.get("contract_end"):
        worker.contract_end = _date(event, "contract_end")
    _learn_name(session, worker, event, first_only=False)


def employment_ended(session: Session, event: Envelope) -> None:
    worker = _worker(session, required_text(event, "worker_id"))
    employment_id = required_text(event, "employment_id")
    if worker.employment_id in (None, employment_id):
        worker.employment_id, worker.employer_id = employment_id, None  # an older employment's end: nothing


def worker_died(session: Session, event: Envelope) -> None:
    worker = _worker(session, required_text(event, "worker_id"))
    worker.deceased_on = _date(event, "died_on")
    worker.employer_id = None
    if event.data.get("employment_id"):
        worker.employment_id = str(event.data["employment_id"])


def _worker(session: Session, worker_id: str) -> Worker:
    """The worker, locked; a worker never heard of gets their row, and so their gate key, now."""
    worker = session.scalars(select(Worker).where(Worker.worker_id == worker_id).with_for_update()).first()
    if worker is None:
        worker = Worker(worker_id=worker_id, version=0)
        session.add(worker)
        session.flush()  # the key is allocated
    return worker


def _learn_name(session: Session, worker: Worker, event: Envelope, *, first_only: bool) -> None:
    name = event.data.get("name")
    if not isinstance(name, str) or not name.strip() or name == worker.name:
        return
    if first_only and (worker.name is not None or worker.version > 0):
        return
    previous, worker.name = worker.name, name.strip()[:100]
    if previous is not None and previous != worker.name:
        OUTBOX.record(session, RENAMED, {"worker_id": worker.worker_id})


def _date(event: Envelope, key: str) -> date | None:
    value = event.data.get(key)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise PoisonMessage(f"{event.type} with an invalid {key}") from exc


worker_handlers: dict[str, Handler] = {
    "worker.registered": worker_registered, "worker.updated": worker_updated,
    "employment.ended": employment_ended, "worker.died": worker_died,
}
