"""Faces past their retention deleted (PIPL art. 19, 47): a worker's face goes ``FACE_RETENTION_DAYS`` after their
last exit (``workers.last_exit_at``) while no project admits them. Each deletion tells the whitelist engine
(``face.removed``, cause ``retention``) and is audited, like any other removal.

Runs as a chore beside the relay: once at start, then every RETENTION_ROUND_SECONDS.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from realname_attendance.faces.removal import RETENTION, remove_face
from realname_attendance.models import Admission, Face, Worker
from realname_attendance.settings import FACE_RETENTION_DAYS
from realname_kit.db import Database
from realname_kit.logs import get_logger
from realname_kit.rounds import in_rounds
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow

log = get_logger(__name__)

RETENTION_ROUND_SECONDS = 3600.0  # a day's retention is met within the hour
BATCH = 100  # faces per transaction


def expire_faces(db: Database, days: int, now: datetime) -> int:
    """Delete every face past its retention at ``now``; the number deleted."""
    deleted = 0
    while True:
        with db.transaction() as session:
            admitted = exists().where(Admission.worker_id == Worker.worker_id, Admission.status == "accepted")
            due = list(session.scalars(
                select(Face.worker_id).join(Worker, Worker.worker_id == Face.worker_id)
                .where(Worker.last_exit_at < now - timedelta(days=days), ~admitted)
                .order_by(Face.worker_id).limit(BATCH).with_for_update(of=Face, skip_locked=True)))
            deleted += sum(remove_face(session, worker_id, RETENTION, None) for worker_id in due)
        if len(due) < BATCH:
            return deleted


def retire_faces(settings: Settings, db: Database, stop: threading.Event) -> None:
    """The chore: until ``stop``, faces past their retention deleted each round."""
    days = int(settings.value(FACE_RETENTION_DAYS))

    def round_() -> None:
        deleted = expire_faces(db, days, utcnow())
        if deleted:
            log.info("faces_past_retention_deleted", faces=deleted, days=days)
    in_rounds(stop, RETENTION_ROUND_SECONDS, round_, failed="face_retention_not_applied")
