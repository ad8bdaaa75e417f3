"""A project's month of attendance ledger written straight into the attendance database: ``workers`` × ``days``
closed ledger days (a few flagged), and their month rows summed as the ledger chore sums them. What the month-read
test and ``bench/attendance.py`` read back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from realname_attendance.ledger.months import refresh_months
from realname_attendance.models import LedgerDay, Worker
from realname_kit.db import Database


def add_workers(db: Database, workers: list[str], employer_id: str) -> None:
    with db.transaction() as session:
        session.execute(insert(Worker), [{"worker_id": w, "name": "工人", "employer_id": employer_id} for w in workers])


def seed_month(db: Database, project_id: str, workers: list[str], employer_id: str, month: date, days: int) -> None:
    """``days`` working days (Monday to Friday) of ``month`` for each worker, closed."""
    dates = [month + timedelta(days=n) for n in range(31)
             if (month + timedelta(days=n)).month == month.month and (month + timedelta(days=n)).weekday() < 5][:days]
    closed = datetime.combine(dates[-1] + timedelta(days=1), datetime.min.time(), UTC)
    with db.transaction() as session:
        for day in dates:
            session.execute(insert(LedgerDay), [{
                "project_id": project_id, "worker_id": w, "day": day, "employer_id": employer_id,
                "team_id": f"team-{n % 50}", "offset_minutes": 480,
                "ends_at": datetime.combine(day, datetime.min.time(), UTC), "first_in": closed, "last_out": closed,
                "minutes": 480 + n % 90, "punches": 2, "anomaly": "missing_out" if n % 97 == 0 else None,
                "corrected": False, "corrected_late": False, "closed_at": closed, "computed_at": closed,
                "version": 1} for n, w in enumerate(workers)])
        refresh_months(session, {(project_id, w, month) for w in workers}, closed)  # as the chore keeps them
