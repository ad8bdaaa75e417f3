"""What the ledger tells the services that build on it (the wage ledger, R28; arrears warnings, R29)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from realname_attendance.models import OUTBOX, LedgerCorrection, LedgerDay
from realname_kit.formats import iso_instant

DAY_CLOSED, CORRECTED = "attendance.day_closed", "attendance.corrected"


def tell_days_closed(session: Session, days: Sequence[LedgerDay]) -> None:
    """``attendance.day_closed`` per day: once it is over, and again (a higher ``version``) when it changes later."""
    OUTBOX.record_many(session, DAY_CLOSED, [day_closed(d) for d in days])


def day_closed(day: LedgerDay) -> dict[str, Any]:
    return {"worker_id": day.worker_id, "project_id": day.project_id, "employer_id": day.employer_id,
            "team_id": day.team_id, "day": day.day.isoformat(), "first_in": _instant(day.first_in),
            "last_out": _instant(day.last_out), "minutes": day.minutes, "punches": day.punches,
            "anomaly": day.anomaly, "corrected": day.corrected, "corrected_late": day.corrected_late,
            "version": day.version, "closed_at": _instant(day.closed_at)}


def tell_corrected(session: Session, correction: LedgerCorrection, employer_id: str | None) -> None:
    OUTBOX.record(session, CORRECTED, {
        "correction_id": correction.id, "worker_id": correction.worker_id, "project_id": correction.project_id,
        "employer_id": employer_id, "day": correction.day.isoformat(), "kind": correction.kind,
        "at": iso_instant(correction.at), "direction": correction.direction,
        "recorded_by": correction.recorded_by, "recorded_for": correction.recorded_for})


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else iso_instant(moment)
