"""The ledger chore, beside the attendance relay (all-in-one: a thread): days marked dirty computed again, days that
are over closed, batch by batch, each batch one transaction. Several may run (``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from realname_attendance.ledger.closing import close_over_days
from realname_attendance.ledger.dirty import clear_dirty_days, take_dirty_days
from realname_attendance.ledger.recompute import recompute_days
from realname_attendance.settings import DAY_CLOSE_GRACE, LEDGER_BATCH, LEDGER_IDLE
from realname_kit.db import Database
from realname_kit.logs import get_logger
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow

log = get_logger(__name__)


@dataclass
class LedgerKeeper:
    db: Database
    grace: timedelta = timedelta(minutes=60)
    batch: int = 500

    def round(self, now: datetime | None = None) -> int:
        """Every marked day computed and every day that is over closed, as of ``now``; the days handled."""
        now = now or utcnow()
        handled = 0
        while (done := self._recompute(now)) > 0:
            handled += done
        while (done := self._close(now)) > 0:
            handled += done
        return handled

    def _recompute(self, now: datetime) -> int:
        with self.db.transaction() as session:
            taken = take_dirty_days(session, self.batch)
            retold = recompute_days(session, taken, now)
            clear_dirty_days(session, taken)
        if retold:
            log.info("ledger_days_corrected_late", days=len(retold))
        return len(taken)

    def _close(self, now: datetime) -> int:
        with self.db.transaction() as session:
            return close_over_days(session, self.grace, now, self.batch)


def keep_ledger(settings: Settings, db: Database, stop: threading.Event) -> None:
    """The chore: until ``stop``, a round, then a pause when it found nothing to do."""
    keeper = LedgerKeeper(db, timedelta(minutes=float(settings.value(DAY_CLOSE_GRACE))),
                          int(settings.value(LEDGER_BATCH)))
    idle = max(float(settings.value(LEDGER_IDLE)), 0.05)
    while not stop.is_set():
        try:
            if keeper.round():
                continue
        except Exception as exc:  # the database away: the next round takes the same days again
            log.warning("ledger_round_failed", error=repr(exc)[:300])
        stop.wait(idle)
