"""Where every worker stands on every gate of a project, read over HTTP, and a resync asked by a gate manager."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from realname_attendance.app import create_app
from realname_attendance.models import Gate, GatePerson, Project, outbox
from realname_codes.gate_protocol import DEVICE_FULL, NATIVE, PHOTO_REJECTED
from realname_codes.roles import MANAGE_GATES
from realname_kit.keys import ensure_signing_keys
from realname_kit.timeutil import utcnow
from tests.support.stack import Stack
from tests.support.tokens import bearer


@dataclass
class Project1:
    client: FlaskClient
    stack: Stack
    project_id: str
    contractor_id: str
    gates: list[str]
    workers: list[str]
    other_gate: str

    def manager(self) -> dict[str, str]:
        return bearer(self.stack.settings, "project_manager", "staff", enterprise_id=self.contractor_id,
                      projects={self.project_id: [MANAGE_GATES]})

    def url(self, tail: str = "") -> str:
        return f"/api/v1/attendance/projects/{self.project_id}/gate-sync{tail}"

    def states(self) -> dict[tuple[str, str], str]:
        with self.stack.db("attendance").transaction() as session:
            return {(p.gate_id, p.worker_id): p.state for p in session.scalars(select(GatePerson))}


@pytest.fixture(scope="module")
def project(module_stack: Stack) -> Iterator[Project1]:
    module_stack.migrate("attendance")
    settings = module_stack.settings
    ensure_signing_keys(settings.auth_private_key_file, settings.auth_public_key_file)
    project_id, contractor_id = str(uuid.uuid4()), str(uuid.uuid4())
    gates, workers = [str(uuid.uuid4()) for _ in range(2)], sorted(str(uuid.uuid4()) for _ in range(3))
    other_project, other_gate = str(uuid.uuid4()), str(uuid.uuid4())
    with module_stack.db("attendance").transaction() as session:
        session.add_all([Project(id=project_id, general_contractor_id=contractor_id, name="浦东某项目"),
                         Project(id=other_project, general_contractor_id=str(uuid.uuid4()), name="另一项目")])
        for n, gate_id in enumerate([*gates, other_gate]):
            session.add(Gate(id=gate_id, project_id=other_project if gate_id == other_gate else project_id,
                             kind=NATIVE, serial=f"SN-{gate_id[:8]}", direction="both", name=f"门{n}",
                             created_by="test", reported_online=True, last_contact_at=utcnow()))
        session.flush()
        for worker in workers:
            for gate_id in gates:
                session.add(GatePerson(gate_id=gate_id, worker_id=worker, wanted="on", state="synced", sequence=1))
        session.add(GatePerson(gate_id=other_gate, worker_id=workers[0], wanted="on", state="synced", sequence=1))
        failed = session.get(GatePerson, (gates[1], workers[1]))
        assert failed is not None
        failed.state, failed.reason, failed.photo_problem = "failed", PHOTO_REJECTED, "no_face"
        failed.detail = "D01E0001"
        full = session.get(GatePerson, (gates[0], workers[2]))
        assert full is not None
        full.state, full.reason = "failed", DEVICE_FULL
    app = create_app(settings, module_stack.db("attendance"))
    yield Project1(app.test_client(), module_stack, project_id, contractor_id, gates, workers, other_gate)


def test_a_gate_manager_reads_each_gates_counts_and_each_workers_state_with_what_to_do(project: Project1) -> None:
    answer = project.client.get(project.url(), headers=project.manager())
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    counts = {g["gate_id"]: g["counts"] for g in body["gates"]}
    assert counts[project.gates[0]] == {"pending": 0, "sent": 0, "synced": 2, "failed": 1}
    assert all(g["online"] and g["wanted"] == {"on": 3, "off": 0} for g in body["gates"])
    assert [w["worker_id"] for w in body["items"]] == project.workers
    refused = next(p for p in body["items"][1]["gates"] if p["gate_id"] == project.gates[1])
    assert (refused["reason"], refused["photo_problem"], refused["detail"]) == (PHOTO_REJECTED, "no_face", "D01E0001")
    assert "照片" in refused["what_to_do_zh"] and "photo" in refused["what_to_do_en"]
    assert project.other_gate not in {p["gate_id"] for w in body["items"] for p in w["gates"]}


def test_the_list_filters_by_state_and_reason_and_pages_by_cursor(project: Project1) -> None:
    failed = project.client.get(project.url("?state=failed"), headers=project.manager()).get_json()
    assert [w["worker_id"] for w in failed["items"]] == [project.workers[1], project.workers[2]]
    assert all(p["state"] == "failed" for w in failed["items"] for p in w["gates"])
    full = project.client.get(project.url(f"?reason={DEVICE_FULL}"), headers=project.manager()).get_json()
    assert [w["worker_id"] for w in full["items"]] == [project.workers[2]]
    first = project.client.get(project.url("?limit=2"), headers=project.manager()).get_json()
    rest = project.client.get(project.url(f"?limit=2&cursor={first['next_cursor']}"),
                              headers=project.manager()).get_json()
    assert [w["worker_id"] for w in first["items"] + rest["items"]] == project.workers
    assert rest["next_cursor"] is None


def test_a_regulator_reads_and_another_contractor_finds_no_such_project(project: Project1) -> None:
    assert project.client.get(project.url(), headers=bearer(project.stack.settings, "regulator")).status_code == 200
    stranger = bearer(project.stack.settings, "project_manager", "staff", enterprise_id=str(uuid.uuid4()),
                      projects={project.project_id: [MANAGE_GATES]})
    answer = project.client.get(project.url(), headers=stranger)
    assert answer.status_code == 404 and answer.get_json()["reason"] == "project_not_found"


def test_a_resync_of_a_gate_sends_all_its_pairs_again_failed_included_and_is_audited(project: Project1) -> None:
    gate = project.gates[0]
    answer = project.client.post(project.url("/resync"), headers=project.manager(), json={"gate_id": gate})
    assert answer.status_code == 202 and answer.get_json() == {"pairs": 3}
    states = project.states()
    assert all(states[gate, w] == "pending" for w in project.workers)
    assert states[project.gates[1], project.workers[1]] == "failed"  # another gate: untouched
    with project.stack.db("attendance").transaction() as session:
        audits = [json.loads(p) for p in session.scalars(select(outbox.c.payload).where(
            outbox.c.type == "audit.recorded"))]
    assert any(a["data"]["action"] == "gates.resynced" and a["data"]["subject"] == gate for a in audits)


def test_a_resync_names_one_gate_of_the_project_or_one_worker(project: Project1) -> None:
    both = project.client.post(project.url("/resync"), headers=project.manager(),
                               json={"gate_id": project.gates[0], "worker_id": project.workers[0]})
    assert both.status_code == 422 and both.get_json()["reason"] == "resync_needs_one"
    foreign = project.client.post(project.url("/resync"), headers=project.manager(),
                                  json={"gate_id": project.other_gate})
    assert foreign.status_code == 404 and foreign.get_json()["reason"] == "gate_not_found"
    worker = project.client.post(project.url("/resync"), headers=project.manager(),
                                 json={"worker_id": project.workers[1]})
    assert worker.status_code == 202 and worker.get_json() == {"pairs": 2}
    assert project.states()[project.other_gate, project.workers[0]] == "synced"


def test_only_a_gate_manager_resyncs(project: Project1) -> None:
    viewer = bearer(project.stack.settings, "staff", enterprise_id=project.contractor_id,
                    projects={project.project_id: ["view_workforce"]})
    answer = project.client.post(project.url("/resync"), headers=viewer, json={"gate_id": project.gates[0]})
    assert answer.status_code == 403 and answer.get_json()["reason"] == "function_not_delegated"
