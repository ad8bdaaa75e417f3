"""Workers' months (``ledger_months``) summed again from their days whenever one of those days changed: the month's
ledger of a project is read as one range of rows (R28; 5,000 workers within the issue's 200 ms)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from realname_attendance.models import LedgerDay, LedgerMonth

MonthKey = tuple[str, str, date]  # project, worker, first day of the month


def month_of(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


@dataclass
class _Sums:
    employer_id: str | None = None
    team_id: str | None = None
    days: int = 0
    minutes: int = 0
    anomalies: int = 0
    corrected_days: int = 0
    latest: date = field(default=date.min)


def refresh_months(session: Session, keys: Iterable[MonthKey], now: datetime) -> None:
    """Sum the days of each (project, worker, month) again into its month row (made, changed, or removed)."""
    wanted = set(keys)
    if not wanted:
        return
    months = {k[2] for k in wanted}
    rows = session.execute(select(
        LedgerDay.project_id, LedgerDay.worker_id, LedgerDay.day, LedgerDay.employer_id, LedgerDay.team_id,
        LedgerDay.minutes, LedgerDay.anomaly, LedgerDay.corrected)
        .where(LedgerDay.project_id.in_({k[0] for k in wanted}), LedgerDay.worker_id.in_({k[1] for k in wanted}),
               LedgerDay.day >= min(months), LedgerDay.day < _next_month(max(months))))
    sums: dict[MonthKey, _Sums] = {k: _Sums() for k in wanted}
    for r in rows:
        found = sums.get((r.project_id, r.worker_id, month_of(r.day)))
        if found is None:
            continue
        found.days += 1
        found.minutes += r.minutes
        found.anomalies += r.anomaly is not None
        found.corrected_days += bool(r.corrected)
        if r.day >= found.latest:  # the month shows whose worker and which team they were last
            found.latest, found.employer_id, found.team_id = r.day, r.employer_id, r.team_id
    stored = {(m.project_id, m.month, m.worker_id): m for m in session.scalars(select(LedgerMonth).where(
        LedgerMonth.project_id.in_({k[0] for k in wanted}), LedgerMonth.month.in_(months),
        LedgerMonth.worker_id.in_({k[1] for k in wanted})))}
    for (project_id, worker_id, month), found in sums.items():
        key = (project_id, month, worker_id)
        _write(session, key, stored.get(key), found, now)


def _write(session: Session, key: tuple[str, date, str], row: LedgerMonth | None, found: _Sums,
           now: datetime) -> None:
    if found.days == 0:
        if row is not None:
            session.execute(delete(LedgerMonth).where(LedgerMonth.project_id == key[0], LedgerMonth.month == key[1],
                                                      LedgerMonth.worker_id == key[2]))
        return
    if row is None:
        row = LedgerMonth(project_id=key[0], month=key[1], worker_id=key[2])
        session.add(row)
    row.employer_id, row.team_id, row.days, row.minutes = found.employer_id, found.team_id, found.days, found.minutes
    row.anomalies, row.corrected_days, row.updated_at = found.anomalies, found.corrected_days, now
