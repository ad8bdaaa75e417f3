"""The punches table kept in shape (R27, art. 28 of the wage regulation): monthly partitions made three months
ahead, months past the retention removed (PostgreSQL drops their partitions, SQLite deletes their rows); and the
punches kept unjudged before (``received_punches``) moved into ``punches``, judged, by the migration."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from realname_attendance.models import Admission, Gate, LedgerDirtyDay, Project, Punch, Worker
from realname_attendance.punch_partitions import ensure_partitions, months_before, partition_name, partitions
from realname_attendance.punch_upkeep import keep_punches
from realname_kit.db import Database
from realname_kit.migrate import upgrade
from realname_kit.service import load_spec
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow
from tests.support.punch_site import CHINA
from tests.support.stack import Stack

BEFORE_JUDGING = "8b2d4f6a1c35"


def row(at: datetime, event_key: str = "") -> dict[str, object]:
    return {"device": "SN1", "event_key": event_key or str(uuid.uuid4()), "at": at, "day": at.date(),
            "offset_minutes": 480, "worker_key": "1", "verified_by": "face", "valid": False,
            "reason": "unknown_device", "late": False, "has_photo": False, "sender": "test", "received_at": at}


def test_partitions_are_made_three_months_ahead_and_those_past_the_retention_dropped(stack: Stack) -> None:
    stack.migrate("attendance")  # months from January three years back to three months ahead
    db = stack.db("attendance")
    today = utcnow().date()
    ahead = [months_before(today, -n) for n in (2, 3)]
    horizon = months_before(today, 36)
    with db.engine.begin() as conn:
        for month in ahead:  # as if the migration had run months ago
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {partition_name(month)}"))
        ensure_partitions(conn, date(2019, 1, 1), date(2019, 1, 1))  # a gate whose clock was reset, long ago
        conn.execute(sa.insert(Punch), [row(datetime(2019, 1, 3, tzinfo=UTC)),
                                        row(datetime(horizon.year, horizon.month, 1, tzinfo=UTC))])
    made, dropped = keep_punches(db, 36, today)
    assert made == [partition_name(m) for m in ahead]
    with db.engine.connect() as conn:
        names = partitions(conn)
        kept = conn.scalar(sa.select(sa.func.count()).select_from(Punch))
    assert min(names) == partition_name(horizon)
    assert {partition_name(months_before(today, -n)) for n in range(4)} <= names
    assert dropped == 1 + (today.month - 1)  # 2019-01, and the migration's months before the horizon
    assert kept == 1  # the horizon's month is within 36 months
    assert keep_punches(db, 36, today) == ([], 0)


def test_on_sqlite_the_rows_past_the_retention_are_deleted(tmp_path: Path) -> None:
    url = Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path)}).database_url_for("attendance")
    upgrade(load_spec("attendance"), url)
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.insert(Punch), [row(datetime(2023, 11, 30, 23, 59, tzinfo=UTC)),
                                            row(datetime(2023, 12, 1, tzinfo=UTC))])
        assert keep_punches(db, 36, date(2026, 12, 5)) == ([], 1)
        with db.engine.connect() as conn:
            assert conn.scalars(sa.select(Punch.at)).all() == [datetime(2023, 12, 1, tzinfo=UTC)]
    finally:
        db.dispose()


@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
def test_the_punches_received_before_are_moved_into_punches_judged(stack: Stack, tmp_path: Path,
                                                                    engine: str) -> None:
    url = (stack.settings.database_url_for("attendance") if engine == "postgresql"
           else Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path)}).database_url_for("attendance"))
    spec = load_spec("attendance")
    upgrade(spec, url, BEFORE_JUDGING)
    db = Database(url)
    try:
        moved = _moved(db, spec, url)
    finally:
        db.dispose()
    at = datetime.now(CHINA).replace(microsecond=0) - timedelta(days=1)
    assert moved == [("admitted", True, None, at.date(), True), ("stranger", False, "unknown_worker", at.date(), True)]


def _moved(db: Database, spec: object, url: str) -> list[tuple[str, bool, str | None, date, bool]]:
    at = datetime.now(CHINA).replace(microsecond=0) - timedelta(days=1)
    with db.engine.begin() as conn:  # the tables as they were at that revision: later columns are not there yet
        _insert_as_then(conn, Project, id="p1", general_contractor_id="gc", name="项目")
        _insert_as_then(conn, Gate, id="g1", project_id="p1", kind="native", serial="SN9", direction="in",
                        name="东门", created_by="test")
        key = str(_insert_as_then(conn, Worker, worker_id="w1"))
        _insert_as_then(conn, Admission, assignment_id="a1", project_id="p1", worker_id="w1", employer_id="e1",
                        status="accepted", entry_at=at - timedelta(days=5))
    received = sa.table("received_punches", *(sa.column(c) for c in (
        "gate_id", "event_key", "worker_key", "offset_minutes", "direction", "verified_by", "sender")),
        sa.column("at", Punch.__table__.c.at.type), sa.column("received_at", Punch.__table__.c.at.type))
    with db.engine.begin() as conn:
        conn.execute(sa.insert(received), [
            {"gate_id": "g1", "event_key": event, "worker_key": worker_key, "at": at, "offset_minutes": 480,
             "direction": None, "verified_by": "face", "sender": "gate-sn9", "received_at": utcnow()}
            for event, worker_key in (("admitted", key), ("stranger", "999999"))])
    upgrade(load_spec("attendance"), url)
    with db.transaction() as session:
        rows = session.scalars(sa.select(Punch).order_by(Punch.event_key)).all()
        dirty = session.scalars(sa.select(LedgerDirtyDay)).all()
        assert [(d.worker_id, d.project_id, d.day) for d in dirty] == [("w1", "p1", at.date())]
        assert all((r.device, r.gate_id, r.direction, r.at) == ("SN9", "g1", "in", at) for r in rows)
        assert not sa.inspect(session.connection()).has_table("received_punches")
        return [(r.event_key, r.valid, r.reason, r.day, r.late) for r in rows]


def _insert_as_then(conn: sa.Connection, model: Any, **values: Any) -> Any:
    """A row of ``model`` with only the columns its table has at the database's revision (the models' defaults for
    those not given); the row's first primary-key value as the database made it."""
    then = sa.Table(model.__tablename__, sa.MetaData(), autoload_with=conn)
    row = {}
    for column in model.__table__.columns:
        if column.name not in then.c:
            continue
        if column.name in values:
            row[column.name] = values[column.name]
        elif column.default is not None and getattr(column.default, "is_scalar", False):
            row[column.name] = column.default.arg
        elif column.default is not None and getattr(column.default, "is_callable", False):
            row[column.name] = column.default.arg(None)
    key = next(iter(then.primary_key.columns))
    return conn.execute(sa.insert(then).values(row).returning(key)).scalar_one()
