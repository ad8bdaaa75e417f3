"""Days that are over closed and told to what builds on the ledger (``attendance.day_closed``, R28).

A day is over once its local midnight (at its gates' UTC offset) plus ``REALNAME_ATTENDANCE_DAY_CLOSE_GRACE_MINUTES``
has passed (``rules.ledger_day.is_over``): said in the query as ``ends_at <= now - grace``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.ledger.events import tell_days_closed
from realname_attendance.models import LedgerDay


def close_over_days(session: Session, grace: timedelta, now: datetime, limit: int) -> int:
    """Close up to ``limit`` days that are over, each told once; the number closed."""
    due = list(session.scalars(
        select(LedgerDay).where(LedgerDay.closed_at.is_(None), LedgerDay.ends_at <= now - grace)
        .order_by(LedgerDay.ends_at).limit(limit).with_for_update(skip_locked=True)))
    for day in due:
        day.closed_at = now
    tell_days_closed(session, due)
    return len(due)
