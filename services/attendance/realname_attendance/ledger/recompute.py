"""Days computed again from their inputs (R28): the valid punches of the worker on the project that day and the
corrections in force, paired by ``rules.ledger_day``.

A day that changes after it was closed is closed again at once with the next ``version`` and ``corrected_late``, and
told again (``attendance.day_closed``): the wage ledger built on it must learn of a late punch (a gate offline over a
weekend) or of a correction. A day that did not change is left as it was: no version, no event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.ledger.dirty import DirtyDay
from realname_attendance.ledger.events import tell_days_closed
from realname_attendance.ledger.months import month_of, refresh_months
from realname_attendance.models import Admission, LedgerCorrection, LedgerDay, Punch, Worker
from realname_attendance.rules.ledger_day import DayFigures, Passage, day_ends_at, day_figures

CHINA_OFFSET = 480  # minutes: a day with no punch of its own (corrections only) is a Chinese site's day
Key = tuple[str, str, date]  # project, worker, day
Party = tuple[str | None, str | None]  # employer, team


@dataclass
class _Inputs:
    passages: list[Passage]
    punches: int = 0
    corrections: int = 0
    offset: int | None = None


def recompute_days(session: Session, taken: Sequence[DirtyDay], now: datetime) -> list[LedgerDay]:
    """Compute the ``taken`` days again; the closed days that changed (closed again and told), for the caller's log."""
    keys = {(d.project_id, d.worker_id, d.day) for d in taken}
    if not keys:
        return []
    inputs = _inputs(session, keys)
    rows = _ledger_rows(session, keys)
    parties = _parties(session, keys)
    retold = []
    for key in sorted(keys):
        found = inputs.get(key)
        row = rows.get(key)
        if found is None and row is None:
            continue  # nothing valid that day (rejected punches only): no ledger day
        found = found or _Inputs([])
        figures = day_figures(found.passages)
        if row is None:
            row = _new_row(session, key, found, parties)
        if _apply(row, figures, found, now, parties.get(key[:2])):
            retold.append(row)
    session.flush()
    refresh_months(session, {(p, w, month_of(d)) for p, w, d in keys}, now)
    tell_days_closed(session, retold)
    return retold


def _apply(row: LedgerDay, figures: DayFigures, found: _Inputs, now: datetime, party: Party | None) -> bool:
    """Set the row's figures; True when a closed day changed (closed again, to be told)."""
    if party is not None:
        row.employer_id, row.team_id = party
    if found.offset is not None and found.offset != row.offset_minutes:
        row.offset_minutes, row.ends_at = found.offset, day_ends_at(row.day, found.offset)
    new = (figures.first_in, figures.last_out, figures.minutes, found.punches, figures.anomaly, found.corrections > 0)
    old = (row.first_in, row.last_out, row.minutes, row.punches, row.anomaly, row.corrected)
    row.computed_at = now
    if new == old:
        return False
    (row.first_in, row.last_out, row.minutes, row.punches, row.anomaly, row.corrected) = new
    if row.closed_at is None:
        return False
    row.version += 1
    row.corrected_late, row.closed_at = True, now
    return True


def _new_row(session: Session, key: Key, found: _Inputs, parties: dict[tuple[str, str], Party]) -> LedgerDay:
    project_id, worker_id, day = key
    offset = found.offset if found.offset is not None else CHINA_OFFSET
    employer_id, team_id = parties.get((project_id, worker_id), (None, None))
    row = LedgerDay(project_id=project_id, worker_id=worker_id, day=day, employer_id=employer_id, team_id=team_id,
                    offset_minutes=offset, ends_at=day_ends_at(day, offset), minutes=-1, punches=-1,
                    corrected=False, corrected_late=False, version=1)
    session.add(row)
    return row


def _inputs(session: Session, keys: set[Key]) -> dict[Key, _Inputs]:
    found: dict[Key, _Inputs] = defaultdict(lambda: _Inputs([]))
    projects, workers, days = _parts(keys)
    # ``at`` bounds the partitions read (punches are partitioned by month on ``at``; a day is within a day of UTC).
    first, last = min(days) - timedelta(days=1), max(days) + timedelta(days=2)
    punches = session.execute(
        select(Punch.project_id, Punch.worker_id, Punch.day, Punch.at, Punch.direction, Punch.offset_minutes)
        .where(Punch.project_id.in_(projects), Punch.day.in_(days), Punch.worker_id.in_(workers),
               Punch.valid.is_(True), Punch.at >= _midnight(first), Punch.at < _midnight(last)))
    for p in punches:
        key = (str(p.project_id), str(p.worker_id), p.day)
        if key in keys:
            entry = found[key]
            entry.passages.append(Passage(p.at, p.direction))
            entry.punches += 1
            entry.offset = p.offset_minutes
    corrections = session.scalars(select(LedgerCorrection).where(
        LedgerCorrection.project_id.in_(projects), LedgerCorrection.worker_id.in_(workers),
        LedgerCorrection.day.in_(days)))
    for c in corrections:
        key = (c.project_id, c.worker_id, c.day)
        if key in keys:
            found[key].passages.append(Passage(c.at, c.direction))
            found[key].corrections += 1
    return dict(found)


def _ledger_rows(session: Session, keys: set[Key]) -> dict[Key, LedgerDay]:
    projects, workers, days = _parts(keys)
    rows = session.scalars(select(LedgerDay).where(
        LedgerDay.project_id.in_(projects), LedgerDay.worker_id.in_(workers), LedgerDay.day.in_(days))
        .with_for_update())
    return {k: r for r in rows if (k := (r.project_id, r.worker_id, r.day)) in keys}


def _parties(session: Session, keys: set[Key]) -> dict[tuple[str, str], Party]:
    """Whose worker each is on the project, and in which team: the admission (the latest accepted wins), else the
    employer the registry last told."""
    projects, workers, _days = _parts(keys)
    admissions = session.scalars(select(Admission).where(Admission.project_id.in_(projects),
                                                         Admission.worker_id.in_(workers))
                                 .order_by(Admission.status.desc(), Admission.entry_at))
    found: dict[tuple[str, str], Party] = {}
    for a in admissions:  # exited first, then accepted by entry: the last written is the one in force
        found[(a.project_id, a.worker_id)] = (a.employer_id, a.team_id)
    employers = {r.worker_id: r.employer_id for r in session.execute(
        select(Worker.worker_id, Worker.employer_id).where(Worker.worker_id.in_(workers)))}
    for project_id, worker_id, _day in keys:
        found.setdefault((project_id, worker_id), (employers.get(worker_id), None))
    return found


def _parts(keys: set[Key]) -> tuple[set[str], set[str], set[date]]:
    return {k[0] for k in keys}, {k[1] for k in keys}, {k[2] for k in keys}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)
