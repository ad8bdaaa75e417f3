"""Teams (R16, R17) and resignations (R24, R25) through the registry's HTTP API, on PostgreSQL."""

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
from tests.support.documents import jpeg, pdf, zip_archive
from tests.support.stack import Stack
from tests.support.tokens import bearer
from tests.support.workers import Client, add_project, award_contract, worker_body

TEAMS, WORKERS = "/api/v1/registry/teams", "/api/v1/registry/workers"
PDF = pdf("Resignation letter, signed")


@dataclass
class World:
    stack: Stack
    app: Flask
    project: str
    employer: Client
    employer_id: str

    def register(self, team_id: str | None, **kwargs: Any) -> dict[str, Any]:
        response = self.employer.post(WORKERS, json=worker_body(team_id, **kwargs))
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def team(self, name: str) -> dict[str, Any]:
        response = self.employer.post(TEAMS, json={"project_id": self.project, "name": name})
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def evidence(self, content: bytes = PDF, name: str = "离职证明.pdf") -> Any:
        return self.employer.post("/api/v1/registry/evidence", content_type="multipart/form-data",
                                  data={"file": (io.BytesIO(content), name)})

    def events(self, event_type: str) -> list[dict[str, Any]]:
        with self.stack.db("registry").engine.connect() as conn:
            rows = conn.execute(text("SELECT payload FROM outbox WHERE type = :t ORDER BY seq"), {"t": event_type})
            return [json.loads(r[0])["data"] for r in rows]


@pytest.fixture(scope="module")
def world(module_stack: Stack) -> World:
    module_stack.migrate("registry")
    app = create_app(module_stack.settings, module_stack.db("registry"))
    employer_id = str(uuid.uuid4())
    employer = Client(app.test_client(), bearer(module_stack.settings, "labour", enterprise_id=employer_id))
    return World(module_stack, app, add_project(module_stack.db("registry"), contractors=[employer_id]),
                 employer, employer_id)


def test_a_team_name_is_taken_once_per_employer_and_project_r16(world: World) -> None:
    first = world.team("瓦工一班")
    again = world.employer.post(TEAMS, json={"project_id": world.project, "name": " 瓦工一班 "})
    assert again.status_code == 409 and again.get_json()["existing"]["id"] == first["id"]
    other_id = str(uuid.uuid4())
    award_contract(world.stack.db("registry"), world.project, other_id)  # it takes part in the project too (R21)
    other_employer = Client(world.app.test_client(), bearer(world.stack.settings, "labour", enterprise_id=other_id))
    assert other_employer.post(TEAMS, json={"project_id": world.project, "name": "瓦工一班"}).status_code == 201


def test_a_team_on_a_project_the_registry_does_not_know_is_refused(world: World) -> None:
    response = world.employer.post(TEAMS, json={"project_id": str(uuid.uuid4()), "name": "无名班"})
    assert response.status_code == 422 and response.get_json()["reason"] == "project_unknown"


def test_a_team_leader_must_be_a_worker_of_the_team(world: World) -> None:
    team, elsewhere = world.team("架子工班"), world.team("油漆班")
    outsider = world.register(elsewhere["id"])
    response = world.employer.post(f"{TEAMS}/{team['id']}/leader", json={"worker_id": outsider["id"]})
    assert response.status_code == 422 and response.get_json()["reason"] == "leader_not_in_team"


def test_when_the_leader_resigns_the_team_asks_for_a_new_one_and_moves_to_them_in_one_call_r17(world: World) -> None:
    team = world.team("钢筋二班")
    leader, member, other = (world.register(team["id"]) for _ in range(3))
    assert world.employer.post(f"{TEAMS}/{team['id']}/leader", json={"worker_id": leader["id"]}).status_code == 200
    resigned = world.employer.post(f"{WORKERS}/{leader['id']}/resignation", json={"date": str(today_in_china())})
    prompt = resigned.get_json()["team_needs_leader"]
    assert prompt["team_id"] == team["id"] and prompt["members"] == 2 and "班组长" in prompt["message"]
    assert world.employer.get(f"{TEAMS}/{team['id']}").get_json()["needs_leader"] is True
    named = world.employer.post(f"{TEAMS}/{team['id']}/leader", json={"worker_id": member["id"]}).get_json()
    assert (named["leader_worker_id"], named["needs_leader"], named["members"]) == (member["id"], False, 2)
    changes = [e for e in world.events("team.leader_changed") if e["team_id"] == team["id"]]
    assert [c["leader_id"] for c in changes] == [leader["id"], member["id"]]
    assert other["employment"]["team_id"] == team["id"]


def test_a_resignation_today_ends_the_contract_and_emits_employment_ended_r24(world: World) -> None:
    worker = world.register(world.team("木工三班")["id"])
    response = world.employer.post(f"{WORKERS}/{worker['id']}/resignation", json={"date": str(today_in_china())})
    assert response.status_code == 200
    assert response.get_json()["employment"]["status"] == "ended"
    ended = [e for e in world.events("employment.ended") if e["worker_id"] == worker["id"]]
    assert len(ended) == 1 and ended[0]["late_entry"] is False


def test_recording_the_same_resignation_again_changes_nothing(world: World) -> None:
    worker = world.register(world.team("木工四班")["id"])
    today = str(today_in_china())
    for _ in range(2):
        assert world.employer.post(f"{WORKERS}/{worker['id']}/resignation", json={"date": today}).status_code == 200
    assert len([e for e in world.events("employment.ended") if e["worker_id"] == worker["id"]]) == 1
    other_day = str(today_in_china() - timedelta(days=1))
    assert world.employer.post(f"{WORKERS}/{worker['id']}/resignation",
                               json={"date": other_day}).status_code == 409


def test_a_back_dated_resignation_needs_a_reason_and_evidence_r25(world: World) -> None:
    worker = world.register(world.team("木工五班")["id"], contract_start=str(today_in_china() - timedelta(days=60)))
    url, yesterday = f"{WORKERS}/{worker['id']}/resignation", str(today_in_china() - timedelta(days=1))
    no_reason = world.employer.post(url, json={"date": yesterday})
    assert no_reason.status_code == 422 and no_reason.get_json()["reason"] == "late_resignation_reason"
    no_evidence = world.employer.post(url, json={"date": yesterday, "reason": "工人已于昨日离场"})
    assert no_evidence.status_code == 422 and no_evidence.get_json()["reason"] == "late_resignation_evidence"
    evidence = world.evidence().get_json()
    late = {"date": yesterday, "reason": "工人已于昨日离场", "evidence_id": evidence["id"]}
    done = world.employer.post(url, json=late)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["employment"]["evidence_id"] == evidence["id"]
    ended = [e for e in world.events("employment.ended") if e["worker_id"] == worker["id"]]
    assert ended[0]["late_entry"] is True
    audit = [e for e in world.events("audit.recorded") if e.get("action") == "employment.resigned"
             and e.get("subject") == worker["id"]]
    assert len(audit) == 1


def test_an_evidence_id_that_names_no_file_of_yours_is_refused_and_nothing_ends(world: World) -> None:
    worker = world.register(world.team("木工七班")["id"])
    response = world.employer.post(f"{WORKERS}/{worker['id']}/resignation",
                                   json={"date": str(today_in_china()), "evidence_id": str(uuid.uuid4())})
    assert response.status_code == 422 and response.get_json()["reason"] == "evidence_unknown"
    assert not [e for e in world.events("employment.ended") if e["worker_id"] == worker["id"]]


def test_a_resignation_in_the_future_is_refused(world: World) -> None:
    worker = world.register(world.team("木工六班")["id"])
    tomorrow = str(today_in_china() + timedelta(days=1))
    response = world.employer.post(f"{WORKERS}/{worker['id']}/resignation", json={"date": tomorrow})
    assert response.status_code == 422 and response.get_json()["reason"] == "resignation_in_future"


def test_evidence_must_be_a_pdf_or_jpeg_of_at_most_5_mb(world: World) -> None:
    assert world.evidence(b"GIF89a....", "x.gif").get_json()["reason"] == "evidence_type"
    too_large = world.evidence(b"%PDF-" + b"0" * (5 * 1024 * 1024), "big.pdf")
    assert too_large.status_code == 413 and too_large.get_json()["reason"] == "evidence_too_large"
    photo = jpeg()
    uploaded = world.evidence(photo, "证明.jpg")
    assert uploaded.status_code == 201 and uploaded.get_json()["content_type"] == "image/jpeg"
    download = world.employer.get(f"/api/v1/registry/evidence/{uploaded.get_json()['id']}")
    assert download.data == photo


def test_an_evidence_file_is_stored_encrypted_and_read_back_as_uploaded_r4(world: World) -> None:
    id_number = "11010519491231002X"
    certificate = pdf(f"Certificate for ID {id_number}")
    uploaded = world.evidence(certificate, f"{id_number}死亡证明.pdf")
    assert uploaded.status_code == 201, uploaded.get_json()
    assert uploaded.get_json()["filename"] == "**************002X死亡证明.pdf"  # a number in its name masked
    with world.stack.db("registry").engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM evidence_files WHERE id = :id"), {"id": uploaded.get_json()["id"]}).one()
    stored = b"".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row)
    assert id_number.encode() not in stored and b"%PDF" not in stored
    download = world.employer.get(f"/api/v1/registry/evidence/{uploaded.get_json()['id']}")
    assert download.status_code == 200 and download.data == certificate


def test_a_polyglot_evidence_file_is_refused_in_both_languages_and_nothing_is_stored(world: World) -> None:
    before = world.stack.count("registry", "SELECT count(*) FROM evidence_files")
    for polyglot in (jpeg() + zip_archive(), jpeg(comment=PDF[:300]), b"\xff\xd8\xff\xe0\x00\x10JFIF" + PDF):
        refused = world.evidence(polyglot, "证明.jpg")
        assert refused.status_code == 422 and refused.get_json()["reason"] == "evidence_polyglot"
        assert "PDF 或 JPEG" in refused.get_json()["message_zh"]
    assert world.stack.count("registry", "SELECT count(*) FROM evidence_files") == before


def test_a_batch_resignation_answers_for_each_worker_on_its_own_r25(world: World) -> None:
    team = world.team("batch班")
    a, b = world.register(team["id"]), world.register(team["id"])
    today = str(today_in_china())
    response = world.employer.post("/api/v1/registry/resignations", json={"items": [
        {"worker_id": a["id"], "date": today}, {"worker_id": str(uuid.uuid4()), "date": today},
        {"worker_id": b["id"], "date": str(today_in_china() + timedelta(days=3))}]})
    result = response.get_json()
    assert (result["resigned"], result["refused"]) == (1, 2)
    assert [r["outcome"] for r in result["results"]] == ["resigned", "refused", "refused"]
    assert result["results"][1]["reason"] == "worker_not_found"
    assert world.employer.get(f"{WORKERS}/{b['id']}").get_json()["employment"]["status"] == "active"


def test_a_resigned_worker_can_be_registered_by_another_employer_r12(world: World) -> None:
    body = worker_body(world.team("流动班")["id"])
    first = world.employer.post(WORKERS, json=body).get_json()
    world.employer.post(f"{WORKERS}/{first['id']}/resignation", json={"date": str(today_in_china())})
    other_id = str(uuid.uuid4())
    award_contract(world.stack.db("registry"), world.project, other_id)  # it takes part in the project (R21)
    other = Client(world.app.test_client(), bearer(world.stack.settings, "labour", enterprise_id=other_id))
    team = other.post(TEAMS, json={"project_id": world.project, "name": "新东家班"}).get_json()
    again = other.post(WORKERS, json={**body, "employment": {**body["employment"], "team_id": team["id"]}})
    assert again.status_code == 201 and again.get_json()["id"] == first["id"]  # the same person, one record
    history = Client(world.app.test_client(), bearer(world.stack.settings, "regulator")).get(
        f"{WORKERS}/{first['id']}/history").get_json()["items"]
    assert [h["action"] for h in history] == ["registered", "resigned", "registered"]
    assert history[0]["employer_id"] == world.employer_id and history[2]["employer_id"] == other_id
