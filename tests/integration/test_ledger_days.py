"""The attendance ledger kept by its chore over real PostgreSQL (R28): the days the intake marks dirty computed
again from valid punches, closed once they are over and told once (``attendance.day_closed``), told again when a
late punch changes a closed day (``corrected_late``)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from realname_attendance.admissions import assignment_accepted
from realname_attendance.models import LedgerDay
from realname_kit.bus.envelope import Envelope
from tests.support.attendance_site import LA, Site, build_site
from tests.support.ledger import after_day, keeper, punch
from tests.support.stack import Stack

DAY = date.today() - timedelta(days=3)


@pytest.fixture
def site(stack: Stack) -> Site:
    return build_site(stack)


def ledger_day(site: Site, worker_id: str, day: date = DAY) -> LedgerDay | None:
    with site.stack.db("attendance").transaction() as session:
        row = session.scalars(select(LedgerDay).where(LedgerDay.worker_id == worker_id, LedgerDay.day == day)).first()
        if row is not None:
            session.expunge(row)
        return row


def test_a_dirty_day_is_computed_from_its_valid_punches_only(site: Site) -> None:
    worker = site.worker(LA)
    site.admit(worker, LA)
    punch(site, worker, DAY, "07:30", "in")
    punch(site, worker, DAY, "12:00", "in", valid=False, reason="not_admitted")
    punch(site, worker, DAY, "17:30", "out")
    keeper(site).round(after_day(DAY, -600))
    row = ledger_day(site, worker)
    assert row is not None
    assert (row.minutes, row.punches, row.anomaly, row.employer_id, row.closed_at) == (600, 2, None, LA, None)
    assert site.count("SELECT count(*) FROM ledger_dirty_days") == 0


def test_a_day_without_its_out_is_flagged_and_not_guessed(site: Site) -> None:
    worker = site.worker(LA)
    punch(site, worker, DAY, "07:30", "in")
    keeper(site).round(after_day(DAY, -600))
    row = ledger_day(site, worker)
    assert row is not None and (row.minutes, row.anomaly, row.last_out) == (0, "missing_out", None)


def test_a_day_is_closed_once_over_and_told_once(site: Site) -> None:
    worker = site.worker(LA)
    site.admit(worker, LA)
    punch(site, worker, DAY, "07:30", "in")
    punch(site, worker, DAY, "17:30", "out")
    keeper(site).round(after_day(DAY, 59))  # within the grace: still open
    assert site.events("attendance.day_closed") == []
    keeper(site).round(after_day(DAY, 60))
    keeper(site).round(after_day(DAY, 120))  # a second round tells nothing again
    told = site.events("attendance.day_closed")
    assert len(told) == 1
    assert {k: told[0][k] for k in ("worker_id", "project_id", "employer_id", "day", "minutes", "punches",
                                    "anomaly", "corrected", "corrected_late", "version")} == {
        "worker_id": worker, "project_id": site.project_id, "employer_id": LA, "day": DAY.isoformat(),
        "minutes": 600, "punches": 2, "anomaly": None, "corrected": False, "corrected_late": False, "version": 1}
    assert told[0]["first_in"].endswith("Z") and told[0]["last_out"].endswith("Z")


def test_a_late_punch_changes_a_closed_day_which_is_told_again_corrected_late(site: Site) -> None:
    worker = site.worker(LA)
    punch(site, worker, DAY, "07:30", "in")
    keeper(site).round(after_day(DAY, 60))
    assert [t["anomaly"] for t in site.events("attendance.day_closed")] == ["missing_out"]
    punch(site, worker, DAY, "17:30", "out")  # a gate offline over the weekend flushes its cache
    keeper(site).round(after_day(DAY, 3 * 24 * 60))
    told = site.events("attendance.day_closed")
    assert [(t["version"], t["corrected_late"], t["minutes"], t["anomaly"]) for t in told] == [
        (1, False, 0, "missing_out"), (2, True, 600, None)]
    row = ledger_day(site, worker)
    assert row is not None and (row.version, row.corrected_late) == (2, True)


def test_a_punch_that_changes_nothing_tells_nothing_again(site: Site) -> None:
    worker = site.worker(LA)
    punch(site, worker, DAY, "07:30", "in")
    punch(site, worker, DAY, "17:30", "out")
    keeper(site).round(after_day(DAY, 60))
    punch(site, worker, DAY, "20:00", "in", valid=False, reason="exited")  # rejected: not part of the day
    keeper(site).round(after_day(DAY, 120))
    assert len(site.events("attendance.day_closed")) == 1


def test_days_are_taken_in_batches_until_none_is_left(site: Site) -> None:
    workers = [site.worker(LA) for _ in range(120)]
    for worker in workers:
        punch(site, worker, DAY, "07:30", "in")
    handled = keeper(site).round(after_day(DAY, -600))
    assert handled == 120
    assert site.count("SELECT count(*) FROM ledger_days WHERE project_id = :p", p=site.project_id) == 120


def test_the_day_is_the_employers_and_the_team_it_was_accepted_in(site: Site) -> None:
    worker = site.worker(LA)
    with site.stack.db("attendance").transaction() as session:
        assignment_accepted(session, Envelope(type="assignment.accepted", source="assignment", data={
            "assignment_id": str(uuid.uuid4()), "project_id": site.project_id, "worker_id": worker,
            "employer_id": LA, "team_id": "team-7", "entry_at": "2026-01-01T00:00:00+08:00"}))
    punch(site, worker, DAY, "07:30", "in")
    keeper(site).round(after_day(DAY, -600))
    row = ledger_day(site, worker)
    assert row is not None and (row.employer_id, row.team_id) == (LA, "team-7")
