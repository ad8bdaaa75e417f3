"""A worker's death (R24) and a team's forming, recorded by the registry and announced through its outbox."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from realname_kit.timeutil import today_in_china
from realname_registry.app import create_app
from tests.support.documents import pdf
from tests.support.stack import Stack
from tests.support.tokens import bearer
from tests.support.workers import Client, add_project, award_contract, worker_body

TEAMS, WORKERS = "/api/v1/registry/teams", "/api/v1/registry/workers"
PDF = pdf("Death certificate")
ANNOUNCED = ("worker.died", "employment.ended", "team.leader_changed", "worker.updated")


@dataclass
class World:
    stack: Stack
    app: Flask
    project: str
    employer: Client
    employer_id: str

    def client(self, *roles: str, **claims: Any) -> Client:
        return Client(self.app.test_client(), bearer(self.stack.settings, *roles, **claims))

    def team(self, name: str, by: Client | None = None) -> dict[str, Any]:
        response = (by or self.employer).post(TEAMS, json={"project_id": self.project, "name": name})
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def register(self, team_id: str | None, **kwargs: Any) -> dict[str, Any]:
        response = self.employer.post(WORKERS, json=worker_body(team_id, **kwargs))
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def evidence(self) -> str:
        response = self.employer.post("/api/v1/registry/evidence", content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(PDF), "死亡证明.pdf")})
        assert response.status_code == 201, response.get_json()
        evidence_id: str = response.get_json()["id"]
        return evidence_id

    def record_death(self, worker_id: str, by: Client | None = None, **body: Any) -> Any:
        return (by or self.employer).post(f"{WORKERS}/{worker_id}/death",
                                          json={"died_on": str(today_in_china()), **body})

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [data for kind, data in self._outbox() if kind == event_type]

    def announced(self, worker_id: str) -> list[tuple[str, dict[str, Any]]]:
        """What the registry told others about this worker since it was registered, in order."""
        return [(kind, data) for kind, data in self._outbox()
                if kind in ANNOUNCED and data.get("worker_id") == worker_id]

    def audited(self, action: str, worker_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events("audit.recorded") if e["action"] == action and e["subject"] == worker_id]

    def _outbox(self) -> list[tuple[str, dict[str, Any]]]:
        with self.stack.db("registry").engine.connect() as conn:
            rows = conn.execute(text("SELECT type, payload FROM outbox ORDER BY seq"))
            return [(r[0], json.loads(r[1])["data"]) for r in rows]


@pytest.fixture(scope="module")
def world(module_stack: Stack) -> World:
    module_stack.migrate("registry")
    app = create_app(module_stack.settings, module_stack.db("registry"))
    employer_id = str(uuid.uuid4())
    employer = Client(app.test_client(), bearer(module_stack.settings, "labour", enterprise_id=employer_id))
    return World(module_stack, app, add_project(module_stack.db("registry"), contractors=[employer_id]),
                 employer, employer_id)


def test_each_created_team_is_announced_once_as_team_formed(world: World) -> None:
    team = world.team("泥工一班")
    refused = world.employer.post(TEAMS, json={"project_id": world.project, "name": "泥工一班"})
    assert refused.status_code == 409  # R16: the same name again is no new team, and no new event
    formed = [e for e in world.events("team.formed") if e["team_id"] == team["id"]]
    assert formed == [{"team_id": team["id"], "employer_id": world.employer_id, "project_id": world.project,
                       "name": "泥工一班", "leader_id": None, "created_at": formed[0]["created_at"]}]
    assert formed[0]["created_at"].startswith(team["created_at"][:19])


def test_recording_a_death_ends_the_employment_and_announces_it_once(world: World) -> None:
    worker = world.register(world.team("泥工二班")["id"])
    today = str(today_in_china())
    response = world.record_death(worker["id"], note="工地外交通事故")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["deceased_on"] == today and body["version"] == worker["version"] + 1
    employment = body["employment"]
    assert (employment["status"], employment["ended_on"], employment["end_cause"], employment["end_reason"]) == (
        "ended", today, "death", "工地外交通事故")
    employment_id = worker["employment"]["id"]
    assert world.announced(worker["id"]) == [
        ("worker.died", {"worker_id": worker["id"], "employment_id": employment_id, "employer_id": world.employer_id,
                         "died_on": today}),
        ("employment.ended", {"worker_id": worker["id"], "employment_id": employment_id,
                              "employer_id": world.employer_id, "ended_on": today, "cause": "death",
                              "late_entry": False, "team_id": worker["employment"]["team_id"]})]
    assert world.employer.get(f"{WORKERS}/{worker['id']}").get_json()["deceased_on"] == today
    history = world.employer.get(f"{WORKERS}/{worker['id']}/history").get_json()["items"]
    assert [h["action"] for h in history] == ["registered", "died"]
    assert history[1]["changes"]["end_cause"] == [None, "death"]
    assert len(world.audited("worker.death_recorded", worker["id"])) == 1


def test_recording_the_death_again_changes_nothing_and_announces_nothing_more(world: World) -> None:
    worker = world.register(world.team("泥工三班")["id"])
    first = world.record_death(worker["id"]).get_json()
    again = world.record_death(worker["id"])
    assert again.status_code == 200 and again.get_json() == first
    other_day = world.record_death(worker["id"], died_on=str(today_in_china() - timedelta(days=3)))
    assert other_day.status_code == 200 and other_day.get_json()["deceased_on"] == first["deceased_on"]
    assert [kind for kind, _ in world.announced(worker["id"])] == ["worker.died", "employment.ended"]
    assert len(world.audited("worker.death_recorded", worker["id"])) == 1


def test_a_death_in_the_future_or_back_dated_without_evidence_is_refused_and_changes_nothing(world: World) -> None:
    worker = world.register(world.team("泥工四班")["id"], contract_start=str(today_in_china() - timedelta(days=90)))
    tomorrow, last_week = (str(today_in_china() + timedelta(days=d)) for d in (1, -7))
    future = world.record_death(worker["id"], died_on=tomorrow)
    assert future.status_code == 422 and future.get_json()["reason"] == "died_on_in_future"
    no_evidence = world.record_death(worker["id"], died_on=last_week, note="家属上周告知")
    assert no_evidence.status_code == 422 and no_evidence.get_json()["reason"] == "evidence_required"
    unknown = world.record_death(worker["id"], died_on=last_week, evidence_id=str(uuid.uuid4()))
    assert unknown.status_code == 422 and unknown.get_json()["reason"] == "evidence_unknown"
    unchanged = world.employer.get(f"{WORKERS}/{worker['id']}").get_json()
    assert unchanged["deceased_on"] is None and unchanged["employment"]["status"] == "active"
    assert world.announced(worker["id"]) == []

    evidence_id = world.evidence()
    late = world.record_death(worker["id"], died_on=last_week, evidence_id=evidence_id)
    assert late.status_code == 200, late.get_json()
    assert late.get_json()["employment"]["evidence_id"] == evidence_id
    ended = dict(world.announced(worker["id"]))["employment.ended"]
    assert (ended["ended_on"], ended["late_entry"]) == (last_week, True)


def test_another_employer_gets_404_and_a_former_employer_is_refused(world: World) -> None:
    worker = world.register(world.team("泥工五班")["id"])
    stranger = world.client("labour", enterprise_id=str(uuid.uuid4()))
    assert world.record_death(worker["id"], by=stranger).status_code == 404
    assert world.record_death(str(uuid.uuid4())).status_code == 404
    world.employer.post(f"{WORKERS}/{worker['id']}/resignation", json={"date": str(today_in_china())})
    former = world.record_death(worker["id"])  # the worker is no longer theirs: someone else records it
    assert former.status_code == 409 and former.get_json()["reason"] == "employment_ended"
    assert [kind for kind, _ in world.announced(worker["id"])] == ["employment.ended"]


def test_a_regulator_may_record_a_death_even_of_a_worker_nobody_employs(world: World) -> None:
    employed, resigned = (world.register(world.team(f"泥工六班{n}")["id"]) for n in (1, 2))
    world.employer.post(f"{WORKERS}/{resigned['id']}/resignation", json={"date": str(today_in_china())})
    regulator = world.client("regulator")
    done = world.record_death(employed["id"], by=regulator)
    assert done.status_code == 200 and done.get_json()["employment"]["end_cause"] == "death"
    assert [kind for kind, _ in world.announced(employed["id"])] == ["worker.died", "employment.ended"]

    unemployed = world.record_death(resigned["id"], by=world.client("admin"))
    assert unemployed.status_code == 200 and unemployed.get_json()["employment"]["end_cause"] == "resignation"
    died = [data for kind, data in world.announced(resigned["id"]) if kind == "worker.died"]
    assert died == [{"worker_id": resigned["id"], "employment_id": None, "employer_id": None,
                     "died_on": str(today_in_china())}]


def test_a_dead_team_leader_leaves_the_team_needing_a_leader_r17(world: World) -> None:
    team = world.team("泥工七班")
    leader, member = world.register(team["id"]), world.register(team["id"])
    assert world.employer.post(f"{TEAMS}/{team['id']}/leader", json={"worker_id": leader["id"]}).status_code == 200
    prompt = world.record_death(leader["id"]).get_json()["team_needs_leader"]
    assert (prompt["team_id"], prompt["members"]) == (team["id"], 1) and "已故" in prompt["message"]
    assert world.employer.get(f"{TEAMS}/{team['id']}").get_json()["needs_leader"] is True
    named = world.employer.post(f"{TEAMS}/{team['id']}/leader", json={"worker_id": member["id"]}).get_json()
    assert (named["leader_worker_id"], named["needs_leader"]) == (member["id"], False)


def test_a_deceased_person_can_neither_be_registered_again_nor_resign(world: World) -> None:
    body = worker_body(world.team("泥工八班")["id"])
    worker = world.employer.post(WORKERS, json=body).get_json()
    world.record_death(worker["id"])
    again = world.employer.post(WORKERS, json=body)
    assert again.status_code == 409 and again.get_json()["reason"] == "worker_deceased"
    other_id = str(uuid.uuid4())
    award_contract(world.stack.db("registry"), world.project, other_id)  # it takes part in the project (R21)
    other = world.client("labour", enterprise_id=other_id)
    team = world.team("新东家泥工班", by=other)
    elsewhere = other.post(WORKERS, json={**body, "employment": {**body["employment"], "team_id": team["id"]}})
    assert elsewhere.status_code == 409 and elsewhere.get_json()["reason"] == "worker_deceased"
    resigned = world.employer.post(f"{WORKERS}/{worker['id']}/resignation", json={"date": str(today_in_china())})
    assert resigned.status_code == 409 and resigned.get_json()["reason"] == "worker_deceased"
