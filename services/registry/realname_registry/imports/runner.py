"""Running an import, one chunk of rows per step: each step commits its registrations and the job's
progress together, and asks for the next step through the outbox (``import.requested``), so a crash
loses nothing and repeats nothing, and a step never holds the database for long.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from realname_kit.auth import Caller
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import Handler, PoisonMessage
from realname_kit.db import Database
from realname_kit.privacy import Keyring
from realname_kit.settings import Settings
from realname_kit.timeutil import today_in_china, utcnow
from realname_registry.context import keyring_for
from realname_registry.excel import ErrorCopy, SheetRow
from realname_registry.imports.chunk import run_chunk
from realname_registry.imports.sealed import COPY_CONTEXT, open_json, seal_bytes
from realname_registry.imports.staging import stage
from realname_registry.models import OUTBOX, ImportJob, ImportRow

CHUNK = 1000


def import_handlers(settings: Settings) -> Mapping[str, Handler]:
    keyring = keyring_for(settings)

    def handle(session: Session, event: Envelope) -> None:
        try:
            job_id, position = str(event.data["job_id"]), int(event.data["position"])
        except (KeyError, ValueError) as exc:
            raise PoisonMessage(f"import.requested without a valid {exc}") from exc
        advance(session, keyring, job_id, position, today_in_china())
    return {"import.requested": handle}


def advance(session: Session, keyring: Keyring, job_id: str, position: int | None, today: date) -> bool:
    """One step of the job; True while there is more to do. A step asked for twice is done once."""
    job = session.scalars(select(ImportJob).where(ImportJob.id == job_id).with_for_update()).first()
    if job is None or job.status in ("done", "failed"):
        return False
    if job.total_rows is None:
        stage(session, keyring, job)
        if job.status == "failed":
            return False
    elif position is not None and position != job.processed_rows:
        return False  # a step already taken (or a later one): the job's own position leads
    caller = Caller(subject=job.created_by, enterprise_id=job.employer_id, roles=frozenset({job.employer_role}),
                    kind="enterprise")
    run_chunk(session, keyring, caller, job, size=CHUNK, today=today)
    assert job.total_rows is not None
    if job.processed_rows < job.total_rows:
        OUTBOX.record(session, "import.requested", {"job_id": job.id, "position": job.processed_rows})
        return True
    _finish(session, keyring, job)
    return False


def run_inline(db: Database, keyring: Keyring, job_id: str, today: date,
               keep_going: Callable[[], bool] = lambda: True) -> None:
    """Run a (small) job's steps now, in the request; the consumer finds them taken and skips them."""
    more = True
    while more and keep_going():
        with db.transaction() as session:
            more = advance(session, keyring, job_id, None, today)


def _finish(session: Session, keyring: Keyring, job: ImportJob) -> None:
    """The error copy of the failed rows (if any); then the file and the rows' contents are dropped."""
    failed = list(session.scalars(select(ImportRow).where(ImportRow.job_id == job.id, ImportRow.outcome == "failed")
                                  .order_by(ImportRow.row_number)))
    if failed:  # a write-only workbook must be saved once made: make it only when there is something to say
        copy = ErrorCopy(job.headers or [])
        for row in failed:
            payload = open_json(keyring, row.payload_enc) if row.payload_enc else {"values": []}
            copy.add(SheetRow(row.row_number, tuple(payload["values"]), {}),
                     [r["message_zh"] for r in row.reasons or []])
        job.error_copy_enc = seal_bytes(keyring, copy.to_bytes(), COPY_CONTEXT)
    session.execute(update(ImportRow).where(ImportRow.job_id == job.id).values(payload_enc=None))
    job.content_enc, job.status, job.finished_at = None, "done", utcnow()
