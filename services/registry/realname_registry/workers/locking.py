"""Taking a worker row to change it: the one way every path does it, HTTP or consumer (R11).

Each change bumps ``version``: the ETag an edit must send back (R11), and the version ``worker.updated`` carries,
by which the assignment service keeps one event per change. Two changes that each read the row unlocked write
the same version: a stale ``If-Match`` then passes and one of the two events is dropped. So every path that
changes a worker (an edit, a resignation, a death, a registration or import of a returning worker, the identity
consumer) takes its row here, before it reads anything it decides on:

- locked until the transaction ends (PostgreSQL ``FOR UPDATE``; SQLite runs write transactions one at a time,
  ``BEGIN IMMEDIATE``), so the second change waits for the first and builds on what it saved;
- read afresh even when the session holds it already, so no value read before the lock is used after it;
- several rows in one order (``seq``), so that two batches taking the same workers cannot deadlock.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from realname_kit.timeutil import utcnow
from realname_registry.models import Worker


def lock_workers(session: Session, *where: ColumnElement[bool]) -> list[Worker]:
    """The workers ``where`` selects, locked and read afresh, in ``seq`` order."""
    query = select(Worker).where(*where).order_by(Worker.seq).with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)))


def lock_worker(session: Session, *where: ColumnElement[bool]) -> Worker | None:
    """The one worker ``where`` selects (an id, an ID number's index), locked and read afresh; None if none."""
    found = lock_workers(session, *where)
    return found[0] if found else None


def changed(worker: Worker) -> None:
    """A change of a locked worker: a new version (the ETag, R11) and the time of it."""
    worker.version += 1
    worker.updated_at = utcnow()
