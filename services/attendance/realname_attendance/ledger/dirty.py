"""The days whose ledger must be computed again (``ledger_dirty_days``): marked by whoever changes a day's inputs, in
that change's transaction (the punch intake, a correction); taken by the ledger chore in batches.

Several chores may run (one beside each relay): ``FOR UPDATE SKIP LOCKED`` gives each its own days, and a day marked
again while it is being computed stays marked (its row is deleted only when the mark is the one taken).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from realname_attendance.models import LedgerDirtyDay
from realname_kit.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class DirtyDay:
    worker_id: str
    project_id: str
    day: date
    marked_at: datetime


def mark_dirty(session: Session, days: Iterable[tuple[str, str, date]]) -> None:
    """Mark (worker_id, project_id, day)s to be computed again; one already marked is marked anew (its time)."""
    rows = [{"worker_id": w, "project_id": p, "day": d, "marked_at": utcnow()} for w, p, d in set(days)]
    if not rows:
        return
    build = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = build(LedgerDirtyDay).values(rows)
    session.execute(statement.on_conflict_do_update(
        index_elements=[LedgerDirtyDay.worker_id, LedgerDirtyDay.project_id, LedgerDirtyDay.day],
        set_={"marked_at": statement.excluded.marked_at}))


def take_dirty_days(session: Session, limit: int) -> list[DirtyDay]:
    """Up to ``limit`` marked days, locked for this transaction (others skip them), oldest mark first."""
    rows = session.scalars(select(LedgerDirtyDay).order_by(LedgerDirtyDay.marked_at).limit(limit)
                           .with_for_update(skip_locked=True))
    return [DirtyDay(r.worker_id, r.project_id, r.day, r.marked_at) for r in rows]


def clear_dirty_days(session: Session, taken: Iterable[DirtyDay]) -> None:
    """Unmark the days computed, unless marked again since they were taken."""
    conditions = [and_(LedgerDirtyDay.worker_id == d.worker_id, LedgerDirtyDay.project_id == d.project_id,
                       LedgerDirtyDay.day == d.day, LedgerDirtyDay.marked_at <= d.marked_at) for d in taken]
    if conditions:
        session.execute(delete(LedgerDirtyDay).where(or_(*conditions)))
