"""Writing a judged batch of punches: one INSERT … ON CONFLICT DO NOTHING for the whole batch (a punch already
kept, by its device identity, is left as it is), and the ledger's days the new valid punches touch
(``ledger_dirty_days``), in the handler's transaction. Rows go in key order, so two consumers writing
overlapping batches never deadlock.

PostgreSQL: the months a batch touches get their partitions first, in a short transaction of their own (creating
a partition locks the parent table; holding that until the batch commits would stall every other consumer). The
months known to exist are remembered per process; a month that retention may drop (older than the shortest
retention) is checked every time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, Insert, Table, TextClause, text
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
    postgresql = bind.dialect.name == "postgresql"
    inserted = _insert_postgresql(session, rows) if postgresql else _insert_sqlite(session, rows)
    # R28: only valid punches count in the ledger, so only their days need building again.
    days = sorted({(w, p, d) for w, p, d, valid in inserted if valid and w is not None and p is not None})
    if days:
        marks = [{"worker_id": w, "project_id": p, "day": d, "marked_at": utcnow()} for w, p, d in days]
        if postgresql:
            session.execute(_MARK_POSTGRESQL, _columns(marks, _DIRTY_COLUMNS))
        else:
            statement = sqlite_insert(_DIRTY)
            session.execute(statement.on_conflict_do_update(index_elements=list(_DIRTY_KEY),
                                                            set_={"marked_at": statement.excluded.marked_at}), marks)
    return len(inserted)


def _insert_sqlite(session: Session, rows: list[dict[str, Any]]) -> list[Any]:
    statement: Insert = sqlite_insert(_PUNCHES).on_conflict_do_nothing().returning(
        _PUNCHES.c.worker_id, _PUNCHES.c.project_id, _PUNCHES.c.day, _PUNCHES.c.valid)
    return list(session.execute(statement, rows).all())


def _insert_postgresql(session: Session, rows: list[dict[str, Any]]) -> list[Any]:
    """One statement whose text never changes (the rows travel as one array per column): PostgreSQL and the
    driver parse and plan it once, not a statement of a thousand parameters per batch."""
    return list(session.execute(_INSERT_POSTGRESQL, _columns(rows, _PUNCH_COLUMNS)).all())


def _columns(rows: list[dict[str, Any]], columns: dict[str, str]) -> dict[str, list[Any]]:
    return {name: [r[name] for r in rows] for name in columns}


def _unnest_insert(table: str, columns: dict[str, str], conflict: str = "DO NOTHING",
                   returning: str = "") -> TextClause:
    # Only this module's own constant names are spliced in; the values are bound.
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in columns.items())
    return text(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "  # noqa: S608
                f"ON CONFLICT {conflict}{returning}")


_PUNCH_COLUMNS = {
    "device": "text", "event_key": "text", "at": "timestamptz", "day": "date", "offset_minutes": "integer",
    "gate_id": "text", "project_id": "text", "worker_key": "text", "worker_id": "text", "direction": "text",
    "verified_by": "text", "valid": "boolean", "reason": "text", "late": "boolean", "has_photo": "boolean",
    "sender": "text", "received_at": "timestamptz"}
_DIRTY_COLUMNS = {"worker_id": "text", "project_id": "text", "day": "date", "marked_at": "timestamptz"}
_INSERT_POSTGRESQL = _unnest_insert(_PUNCHES.name, _PUNCH_COLUMNS,
                                    returning=" RETURNING worker_id, project_id, day, valid")
# A mark already there is marked anew, not left alone: the upsert holds its row until this batch commits, so a
# ledger chore computing that day either waits for these punches or finds the day marked again (ledger.dirty).
_DIRTY_KEY = ("worker_id", "project_id", "day")
_MARK_POSTGRESQL = _unnest_insert(_DIRTY.name, _DIRTY_COLUMNS,
                                  f"({', '.join(_DIRTY_KEY)}) DO UPDATE SET marked_at = EXCLUDED.marked_at")


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
