"""A command a reachable gate never answered (lost with a purged queue, a bridge that crashed mid-command) is sent
again: a pair is not left ``sent`` for ever. A late answer to the old command is then stale (its sequence)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.models import Gate, GatePerson
from realname_attendance.pairs import state_of, write
from realname_attendance.rules.whitelist import SENT, want
from realname_kit.logs import get_logger

log = get_logger(__name__)


def resend_unanswered(session: Session, now: datetime, after: timedelta) -> int:
    """Pairs of enabled, online gates sent longer than ``after`` ago, pending again; how many."""
    rows = session.scalars(select(GatePerson).join(Gate, Gate.id == GatePerson.gate_id).where(
        GatePerson.state == SENT, GatePerson.sent_at < now - after, Gate.enabled.is_(True),
        Gate.reported_online.is_(True)).with_for_update(skip_locked=True, of=GatePerson))
    count = 0
    for row in rows:
        write(row, want(state_of(row), row.wanted, again=True) or state_of(row))
        count += 1
    if count:
        log.warning("gate_commands_unanswered", pairs=count, after_s=after.total_seconds())
    return count
