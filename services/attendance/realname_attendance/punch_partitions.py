"""The punches table's monthly partitions on PostgreSQL: one per calendar month (UTC) of ``at``, created ahead so
that a punch never waits for its month, and dropped whole once past the retention. SQLite (all-in-one) keeps one
plain table, whose rows past the retention are deleted instead."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import column, delete, table, text
from sqlalchemy.engine import Connection

from realname_kit.types import UtcDateTime

TABLE = "punches"
# The ledger's basis is kept three years (art. 28 of the wage regulation): no shorter retention is accepted.
MIN_RETENTION_MONTHS = 36


def month_starts(first: date, last: date) -> list[date]:
    """The first days of every month from ``first``'s to ``last``'s, both included."""
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = _next_month(current)
    return months


def partition_name(month: date) -> str:
    return f"{TABLE}_{month:%Y_%m}"


def months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` calendar months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def partitions(conn: Connection) -> set[str]:
    """The names of the punches table's partitions (PostgreSQL)."""
    return set(conn.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :table"), {"table": TABLE}))


def ensure_partitions(conn: Connection, first: date, last: date) -> list[str]:
    """Create the missing monthly partitions covering ``first``..``last``; the names created."""
    if conn.dialect.name != "postgresql":
        return []
    existing = partitions(conn)
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


def drop_before(conn: Connection, horizon: date) -> int:
    """Remove the punches of the months wholly before ``horizon`` (the first day of a month): PostgreSQL drops their
    partitions, SQLite deletes their rows. The number of partitions dropped, or rows deleted."""
    if conn.dialect.name != "postgresql":
        punches = table(TABLE, column("at", UtcDateTime()))
        return conn.execute(delete(punches).where(punches.c.at < _instant(horizon))).rowcount
    months = {name: _month_of(name) for name in partitions(conn)}
    old = sorted(name for name, month in months.items() if month is not None and _next_month(month) <= horizon)
    for name in old:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    return len(old)


def _month_of(name: str) -> date | None:
    year, _, month = name.removeprefix(f"{TABLE}_").partition("_")
    if not (year.isdigit() and month.isdigit()):
        return None
    return date(int(year), int(month), 1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _instant(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
