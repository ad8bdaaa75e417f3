"""Writing a judged batch of punches: one multi-row INSERT … ON CONFLICT DO NOTHING (a punch already kept, by its
device identity, is left as it is), and the ledger's days the new valid punches touch (``ledger_dirty_days``), in
the handler's transaction. Rows go in key order, so two consumers writing overlapping batches never deadlock.

PostgreSQL: the months a batch touches get their partitions first, in a short transaction of their own (creating
a partition locks the parent table; holding that until the batch commits would stall every other consumer). The
months known to exist are remembered per process; a month that retention may drop (older than the shortest
retention) is checked every time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, Insert, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from realname_attendance.models import LedgerDirtyDay, Punch
from realname_attendance.punch_partitions import MIN_RETENTION_MONTHS, ensure_partitions, months_before
from realname_kit.timeutil import utcnow

_PUNCHES: Table = Punch.metadata.tables[Punch.__tablename__]
_DIRTY: Table = LedgerDirtyDay.metadata.tables[LedgerDirtyDay.__tablename__]
_known_months: dict[str, set[date]] = {}  # by database URL: months whose partition exists


def store(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert the punches not kept yet and mark their ledger days; the number inserted."""
    if not rows:
        return 0
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and isinstance(bind, Engine):
        _ensure_months(bind, {r["at"] for r in rows})
    rows = sorted(rows, key=lambda r: (r["device"], r["event_key"], r["at"]))
    build = postgresql_insert if bind.dialect.name == "postgresql" else sqlite_insert
    statement: Insert = build(_PUNCHES).on_conflict_do_nothing().returning(
        _PUNCHES.c.worker_id, _PUNCHES.c.project_id, _PUNCHES.c.day, _PUNCHES.c.valid)
    inserted = session.execute(statement, rows).all()
    # R28: only valid punches count in the ledger, so only their days need building again.
    days = sorted({(w, p, d) for w, p, d, valid in inserted if valid and w is not None and p is not None})
    if days:
        now = utcnow()
        session.execute(build(_DIRTY).on_conflict_do_nothing(),
                        [{"worker_id": w, "project_id": p, "day": d, "marked_at": now} for w, p, d in days])
    return len(inserted)


def _ensure_months(engine: Engine, instants: set[datetime]) -> None:
    known = _known_months.setdefault(engine.url.render_as_string(hide_password=True), set())
    months = {at.astimezone(UTC).date().replace(day=1) for at in instants} - known
    if not months:
        return
    with engine.begin() as conn:
        for month in sorted(months):
            ensure_partitions(conn, month, month)
    safe_from = months_before(utcnow().date(), MIN_RETENTION_MONTHS)
    known.update(m for m in months if m >= safe_from)
