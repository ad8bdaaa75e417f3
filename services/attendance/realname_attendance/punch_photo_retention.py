"""Punch photos past their retention deleted (PIPL art. 19, 47): PUNCH_PHOTO_RETENTION_DAYS after they were kept.
The punch itself stays (the ledger is kept for years); only its photo goes. Runs as a chore beside the relay: once
at start, then every ROUND_SECONDS."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete

from realname_attendance.models import PunchPhoto
from realname_attendance.settings import PUNCH_PHOTO_RETENTION_DAYS
from realname_kit.db import Database
from realname_kit.logs import get_logger
from realname_kit.rounds import in_rounds
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow

log = get_logger(__name__)

ROUND_SECONDS = 3600.0  # a day's retention is met within the hour


def expire_punch_photos(db: Database, days: int, now: datetime) -> int:
    """Delete every punch photo kept more than ``days`` before ``now``; the number deleted. Several relays may run
    it at once: a photo is deleted once whoever does it."""
    with db.transaction() as session:
        result = session.execute(delete(PunchPhoto).where(PunchPhoto.kept_at < now - timedelta(days=days)))
        return cast("CursorResult[Any]", result).rowcount


def retire_punch_photos(settings: Settings, db: Database, stop: threading.Event) -> None:
    """The chore: until ``stop``, punch photos past their retention deleted each round."""
    days = int(settings.value(PUNCH_PHOTO_RETENTION_DAYS))

    def round_() -> None:
        deleted = expire_punch_photos(db, days, utcnow())
        if deleted:
            log.info("punch_photos_past_retention_deleted", photos=deleted, days=days)
    in_rounds(stop, ROUND_SECONDS, round_, failed="punch_photo_retention_not_applied")
