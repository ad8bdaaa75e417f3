"""The punches table kept in shape, about hourly (a chore beside the relay; all-in-one: a thread): the monthly
partitions made ``AHEAD_MONTHS`` ahead, so that a punch never waits for its month, and the months past the
retention removed (PostgreSQL drops their partitions, SQLite deletes their rows)."""

from __future__ import annotations

import threading
from datetime import date

from realname_attendance.punch_partitions import (
    MIN_RETENTION_MONTHS,
    drop_before,
    ensure_partitions,
    months_before,
)
from realname_attendance.settings import PUNCH_RETENTION_MONTHS
from realname_kit.db import Database
from realname_kit.logs import get_logger
from realname_kit.rounds import in_rounds
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow

log = get_logger(__name__)

AHEAD_MONTHS = 3
ROUND_SECONDS = 3600.0


class RetentionTooShort(ValueError):
    pass


def punch_retention_months(settings: Settings) -> int:
    """The retention setting; refused when it is not a whole number of at least ``MIN_RETENTION_MONTHS``."""
    text = settings.value(PUNCH_RETENTION_MONTHS).strip()
    if not (text.isascii() and text.isdigit()) or int(text) < MIN_RETENTION_MONTHS:
        raise RetentionTooShort(
            f"{PUNCH_RETENTION_MONTHS}={text!r}: punches are the attendance ledger's basis, kept at least "
            f"{MIN_RETENTION_MONTHS} months (art. 28 of the wage regulation) / "
            f"考勤记录是考勤台账的依据，须至少保存{MIN_RETENTION_MONTHS}个月")
    return int(text)


def keep_punches(db: Database, retention_months: int, today: date) -> tuple[list[str], int]:
    """One round: the partitions made, and the old partitions dropped (or rows deleted, SQLite)."""
    with db.engine.begin() as conn:
        made = ensure_partitions(conn, today, months_before(today, -AHEAD_MONTHS))
    with db.engine.begin() as conn:
        removed = drop_before(conn, months_before(today, retention_months))
    return made, removed


def keep_punch_partitions(settings: Settings, db: Database, stop: threading.Event) -> None:
    """The chore: a round at start, then every ``ROUND_SECONDS`` until ``stop``."""
    months = punch_retention_months(settings)

    def round_() -> None:
        made, removed = keep_punches(db, months, utcnow().date())
        if made or removed:
            log.info("punch_months_kept", partitions_made=made, old_removed=removed, retention_months=months)
    in_rounds(stop, ROUND_SECONDS, round_, failed="punch_months_not_kept")
