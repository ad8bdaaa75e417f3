"""The plans PostgreSQL runs for a query of the service: the custom one, and the generic one it switches to.

psycopg prepares a statement on the server once a connection has run it five times (``prepare_threshold``), and
PostgreSQL then plans a prepared statement for its parameters (a custom plan) five times more, after which it may
keep one generic plan, made without knowing the parameters. A web process runs the same page query all day on its
pooled connections, so the generic plan is the one that counts. Both are shown with EXPLAIN (ANALYZE, BUFFERS).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from psycopg import sql
from sqlalchemy import event

from realname_kit.db import Database

MODES = ("force_custom_plan", "force_generic_plan")


def captured(db: Database, run: Callable[[], object]) -> tuple[str, dict[str, Any]]:
    """The longest statement ``run`` executes on ``db`` (for a page, the page query) and its parameters."""
    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))
    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    statement, parameters = max(seen, key=lambda s: len(s[0]))
    return statement, dict(parameters)


def plans(db: Database, statement: str, parameters: dict[str, Any]) -> dict[str, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement prepared on the server, under each plan_cache_mode."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"
    prepared = re.sub(r"%\((\w+)\)s", number, statement).replace("%%", "%")
    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        values = ", ".join(sql.Literal(parameters[name]).as_string(conn) for name in order)
        found = {}
        with conn.cursor() as cursor:
            cursor.execute(f"PREPARE bench_plan AS {prepared}")
            for mode in MODES:
                cursor.execute(f"SET plan_cache_mode = {mode}")
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_plan({values})")
                found[mode] = [str(line) for (line,) in cursor.fetchall()]
            cursor.execute("DEALLOCATE bench_plan")
        conn.rollback()
        return found
    finally:
        raw.close()
