"""Running an import, one chunk of rows per step: each step commits its registrations and the job's
progress together, and asks for the next step through the outbox (``import.requested``), so a crash
loses nothing and repeats nothing, and a step never holds the database for long. Employers take turns
(``turns``): one employer's jobs never starve another's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from realname_kit.auth import Caller
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import Handler, PoisonMessage, when_dead_lettered
from realname_kit.db import Database
from realname_kit.privacy import Keyring
from realname_kit.privacy.blobs import seal_bytes
from realname_kit.settings import Settings
from realname_kit.timeutil import today_in_china, utcnow
from realname_registry.context import keyring_for
from realname_registry.excel import ErrorCopy, SheetRow
from realname_registry.imports.chunk import run_chunk
from realname_registry.imports.sealed import COPY_CONTEXT, open_json
from realname_registry.imports.staging import stage
from realname_registry.imports.turns import MAX_DEFERRALS, is_due
from realname_registry.models import OUTBOX, ImportJob, ImportRow

CHUNK = 1000
INTERRUPTED = "import_interrupted"


def import_handlers(settings: Settings) -> Mapping[str, Handler]:
    keyring = keyring_for(settings)

    @when_dead_lettered(fail_interrupted)
    def handle(session: Session, event: Envelope) -> None:
        try:
            job_id, position = str(event.data["job_id"]), int(event.data["position"])
            deferred = int(event.data.get("deferred", 0))
        except (KeyError, ValueError) as exc:
            raise PoisonMessage(f"import.requested without a valid {exc}") from exc
        if deferred < MAX_DEFERRALS and not is_due(session, job_id):  # another employer's turn first
            OUTBOX.record(session, "import.requested", {"job_id": job_id, "position": position,
                                                         "deferred": deferred + 1})
            return
        advance(session, keyring, job_id, position, today_in_china())
    return {"import.requested": handle}


def advance(session: Session, keyring: Keyring, job_id: str, position: int | None, today: date) -> bool:
    """One step of the job; True while there is more to do. A step asked for twice is done once."""
    job = session.scalars(select(ImportJob).where(ImportJob.id == job_id).with_for_update()).first()
    if job is None or job.status == "done" or (job.status == "failed" and not _interrupted(job)):
        return False
    if job.total_rows is not None and position is not None and position != job.processed_rows:
        return False  # a step already taken (or a later one): the job's own position leads
    if job.status == "failed":  # its step replayed from the dead letters after a fix: carry on from there
        job.status = "queued" if job.total_rows is None else "running"
        job.failure, job.finished_at = None, None
    job.stepped_at = utcnow()
    if job.total_rows is None:
        stage(session, keyring, job)
        if job.status == "failed":
            return False
    caller = Caller(subject=job.created_by, enterprise_id=job.employer_id, roles=frozenset({job.employer_role}),
                    kind="enterprise")
    run_chunk(session, keyring, caller, job, size=CHUNK, today=today)
    assert job.total_rows is not None
    if job.processed_rows < job.total_rows:
        OUTBOX.record(session, "import.requested", {"job_id": job.id, "position": job.processed_rows})
        return True
    _finish(session, keyring, job)
    return False


def fail_interrupted(session: Session, event: Envelope, reason: str) -> None:
    """A step of the job was dead-lettered: the job fails with the reason, never stays running for ever. Its
    file and progress stay (sealed, as while it ran), so that replaying the step after a fix
    (``realname dead-letters replay``) carries on where it stopped. The clerk sees the kind of error only:
    the full reason, which may quote data, is the operator's, in the dead letter."""
    job = session.scalars(select(ImportJob).where(ImportJob.id == str(event.data.get("job_id")))
                          .with_for_update()).first()
    if job is None or job.status in ("done", "failed"):
        return
    job.status, job.finished_at = "failed", utcnow()
    job.failure = {"reason": INTERRUPTED, "error": reason.split(":", 1)[0][:100],
                   "message": "The import stopped on an internal error after "
                              f"{job.processed_rows} rows. The operators have it and can resume it; "
                              "the rows registered so far stay registered.",
                   "message_zh": f"导入在处理 {job.processed_rows} 行后因系统内部错误中断。运维人员已收到，"
                                 "修复后可从中断处继续；已登记的行保持有效。"}


def _interrupted(job: ImportJob) -> bool:
    return (job.failure or {}).get("reason") == INTERRUPTED


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
