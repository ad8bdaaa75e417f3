"""Whose import takes the next step: employers take turns on the shared import consumer (R10).

Every pending job has one ``import.requested`` message in the queue at a time, asking for its next step.
Messages come in the order they were queued, so one employer's many jobs (or one big job's many steps) would
all come before another employer's single job. So a step runs only when its job is the one due: among the
pending jobs, that of the employer served longest ago (one never served first), and of that employer the
oldest job. Any other step is deferred: asked for again at the end of the queue, behind the due job's own
message. Employers with work thus take turns, one bounded step each (a chunk of rows, or reading a file
within excel.reader's bounds), and an employer's own jobs run in the order they were uploaded.

With several consumer replicas, a job whose step is in progress elsewhere is locked and skipped (SKIP LOCKED),
and that lock (the row's ``FOR UPDATE`` in ``advance``) is what keeps a step from running twice. A due job
whose message is not in the queue must not hold the others up: one that took no step for ``STALLED_AFTER``
(its step dead-lettered and the job not marked failed) is passed over, and a step deferred ``MAX_DEFERRALS``
times runs anyway (a small file whose steps run in the upload's request, between two of them).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from realname_kit.timeutil import utcnow
from realname_registry.models import ImportJob

PENDING = ("queued", "running")
MAX_DEFERRALS = 200  # a deferral costs a short transaction and a message
STALLED_AFTER = timedelta(minutes=15)  # a round of turns takes a step (seconds, at most 2 min) per employer


def is_due(session: Session, job_id: str) -> bool:
    """True when the job's step should run now (or the job has nothing left, which its step will find)."""
    status = session.scalar(select(ImportJob.status).where(ImportJob.id == job_id))
    if status not in PENDING:
        return True
    due = _due_job(session, job_id)
    return due is None or due == job_id


def _due_job(session: Session, job_id: str) -> str | None:
    served = aliased(ImportJob)
    last_served = (select(func.max(served.stepped_at)).where(served.employer_id == ImportJob.employer_id)
                   .scalar_subquery())
    active = func.coalesce(ImportJob.stepped_at, ImportJob.created_at) >= utcnow() - STALLED_AFTER
    query = (select(ImportJob.id).where(ImportJob.status.in_(PENDING), or_(ImportJob.id == job_id, active))
             .order_by(last_served.asc().nulls_first(), ImportJob.seq)
             .limit(1).with_for_update(skip_locked=True, of=ImportJob))
    savepoint = session.begin_nested()
    try:
        return session.scalar(query)
    finally:
        savepoint.rollback()  # releases the row lock taken to see past the jobs locked elsewhere
