"""The registry's event payloads about deaths and teams: the shapes the assignment service reads (R16, R24)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from realname_registry.models import Employment, Team, Worker
from realname_registry.workers.events import employment_ended, team_formed, worker_died


def test_team_formed_names_the_team_its_employer_and_project_and_no_leader_yet() -> None:
    team = Team(id="t-1", employer_id="e-1", project_id="p-1", name="钢筋一班", leader_worker_id=None,
                created_at=datetime(2026, 12, 1, 8, 30, tzinfo=UTC))
    assert team_formed(team) == {"team_id": "t-1", "employer_id": "e-1", "project_id": "p-1", "name": "钢筋一班",
                                 "leader_id": None, "created_at": "2026-12-01T08:30:00+00:00"}


def test_worker_died_names_the_employment_it_ended_or_none() -> None:
    worker = Worker(id="w-1", deceased_on=date(2026, 11, 30))
    employment = Employment(id="m-1", employer_id="e-1")
    assert worker_died(worker, employment) == {"worker_id": "w-1", "employment_id": "m-1", "employer_id": "e-1",
                                               "died_on": "2026-11-30"}
    assert worker_died(worker, None) == {"worker_id": "w-1", "employment_id": None, "employer_id": None,
                                         "died_on": "2026-11-30"}


def test_employment_ended_says_its_cause_resignation_unless_told() -> None:
    worker = Worker(id="w-1")
    employment = Employment(id="m-1", employer_id="e-1", ended_on=date(2026, 11, 30), team_id="t-1")
    assert employment_ended(worker, employment, late=False)["cause"] == "resignation"
    assert employment_ended(worker, employment, late=True, cause="death") == {
        "worker_id": "w-1", "employment_id": "m-1", "employer_id": "e-1", "ended_on": "2026-11-30",
        "cause": "death", "late_entry": True, "team_id": "t-1"}
