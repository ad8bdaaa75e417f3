"""The punches table's monthly partitions on PostgreSQL: one per calendar month (UTC) of ``at``, created ahead so
that a punch never waits for its month. SQLite (all-in-one) keeps one plain table."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

TABLE = "punches"


def month_starts(first: date, last: date) -> list[date]:
    """The first days of every month from ``first``'s to ``last``'s, both included."""
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = _next_month(current)
    return months


def partition_name(month: date) -> str:
    return f"{TABLE}_{month:%Y_%m}"


def ensure_partitions(conn: Connection, first: date, last: date) -> list[str]:
    """Create the missing monthly partitions covering ``first``..``last``; the names created."""
    if conn.dialect.name != "postgresql":
        return []
    existing = set(conn.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :table"), {"table": TABLE}))
    made = []
    for month in month_starts(first, last):
        name = partition_name(month)
        if name in existing:
            continue
        start, end = _instant(month), _instant(_next_month(month))
        # IF NOT EXISTS: two processes making the same month at once both succeed.
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE} "
                          f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"))
        made.append(name)
    return made


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _instant(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
