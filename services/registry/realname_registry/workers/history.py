"""Every change to a worker's employment, kept and shown (R15): who, when, each field before and after.

Personal numbers enter the history masked (R4): the history is read by every later employer's view of
the person and by regulators, and a number in it would outlive any key rotation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from realname_kit.pagination import encode_cursor, seq_after
from realname_registry.models import Employment, HistoryEntry, Worker


def record_history(session: Session, worker: Worker, employment: Employment | None, action: str, *,
                   actor: str, actor_enterprise_id: str | None, changes: Mapping[str, list[Any]]) -> None:
    session.add(HistoryEntry(worker_id=worker.id, employment_id=employment.id if employment else None,
                             employer_id=employment.employer_id if employment else None, action=action,
                             actor=actor, actor_enterprise_id=actor_enterprise_id,
                             changes={k: [plain(v) for v in pair] for k, pair in changes.items()}))


def plain(value: Any) -> Any:
    """A value as JSON keeps it: dates as ISO strings, money as strings with two decimals."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def history_page(session: Session, worker_id: str, *, employer_id: str | None, since: datetime | None,
                 until: datetime | None, limit: int, cursor: str | None) -> tuple[list[HistoryEntry], str | None]:
    """A worker's history, oldest first; an employer sees the entries of its own employments, and the
    identity service's answers about the person (which belong to no employment)."""
    query = select(HistoryEntry).where(HistoryEntry.worker_id == worker_id)
    if employer_id is not None:
        query = query.where(or_(HistoryEntry.employer_id == employer_id, HistoryEntry.employer_id.is_(None)))
    if since is not None:
        query = query.where(HistoryEntry.at >= since)
    if until is not None:
        query = query.where(HistoryEntry.at < until)
    after = seq_after(cursor)
    if after is not None:
        query = query.where(HistoryEntry.seq > after)
    rows = list(session.scalars(query.order_by(HistoryEntry.seq).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], encode_cursor({"after": rows[limit - 1].seq})
