"""Teams and imports only on a project the employer takes part in (R16, R21): the registry learns who takes part
from the assignment service's contract events, and refuses the others in both languages, changing nothing."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from realname_kit.bus.envelope import Envelope
from realname_registry.app import create_app
from realname_registry.participation import participation_handlers
from tests.support.sheets import workbook
from tests.support.stack import Stack
from tests.support.tokens import bearer
from tests.support.workers import Client, add_project, award_contract, worker_body

TEAMS, IMPORTS = "/api/v1/registry/teams", "/api/v1/registry/imports"


@dataclass
class World:
    stack: Stack
    app: Flask

    def employer(self, role: str = "labour") -> tuple[str, Client]:
        enterprise_id = str(uuid.uuid4())
        return enterprise_id, Client(self.app.test_client(), bearer(self.stack.settings, role,
                                                                    enterprise_id=enterprise_id))

    def handle(self, event_type: str, **data: Any) -> None:
        """An event of the assignment service, as the registry's consumer handles it."""
        with self.stack.db("registry").transaction() as session:
            participation_handlers[event_type](session, Envelope(type=event_type, source="assignment", data=data))

    def count(self, sql: str, **params: Any) -> int:
        return self.stack.count("registry", sql, **params)


@pytest.fixture(scope="module")
def world(module_stack: Stack) -> World:
    module_stack.migrate("registry")
    return World(module_stack, create_app(module_stack.settings, module_stack.db("registry")))


def refused(response: TestResponse, status: int, reason: str) -> dict[str, Any]:
    body: dict[str, Any] = response.get_json()
    assert (response.status_code, body["reason"]) == (status, reason), body
    assert body["message_zh"] and body["field"] == "project_id"
    return body


def team(client: Client, project: str, name: str = "钢筋一班") -> TestResponse:
    return client.post(TEAMS, json={"project_id": project, "name": name})


def upload(client: Client, **form: str) -> TestResponse:
    sheet = workbook([worker_body(None)], team_name="钢筋一班")
    return client.post(IMPORTS, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(sheet), "工人.xlsx"), **form})


def test_an_employer_without_a_contract_on_the_project_makes_no_team_there(world: World) -> None:
    _, outsider = world.employer()
    project = add_project(world.stack.db("registry"))
    body = refused(team(outsider, project), 403, "not_on_project")
    assert "发包" in body["message_zh"] and body["project_id"] == project
    assert world.count("SELECT count(*) FROM teams WHERE project_id = :p", p=project) == 0
    assert world.count("SELECT count(*) FROM outbox WHERE type = 'team.formed' AND payload LIKE :p",
                       p=f"%{project}%") == 0


def test_a_contractor_and_the_general_contractor_make_teams_on_their_project(world: World) -> None:
    labour_id, labour = world.employer()
    gc_id, gc = world.employer("general_contractor")
    project = add_project(world.stack.db("registry"), gc=gc_id, contractors=[labour_id])
    assert team(labour, project).status_code == 201
    assert team(gc, project, "保安班").status_code == 201  # its own site staff (R13)


def test_an_employer_whose_contract_is_completed_makes_no_new_team_there_r24(world: World) -> None:
    labour_id, labour = world.employer()
    project = add_project(world.stack.db("registry"))
    contract = award_contract(world.stack.db("registry"), project, labour_id)
    world.handle("contract.completed", contract_id=contract, project_id=project, cause="contract_completed")
    assert "完结" in refused(team(labour, project), 409, "contract_completed")["message_zh"]
    award_contract(world.stack.db("registry"), project, labour_id)  # a new contract: it takes part again
    assert team(labour, project).status_code == 201


def test_nobody_makes_a_team_on_a_completed_project_not_even_its_general_contractor_r24(world: World) -> None:
    labour_id, labour = world.employer()
    gc_id, gc = world.employer("general_contractor")
    project = add_project(world.stack.db("registry"), gc=gc_id, contractors=[labour_id])
    world.handle("project.completed", project_id=project)
    world.handle("project.completed", project_id=project)  # delivered twice: the same
    refused(team(labour, project), 409, "project_completed")
    refused(team(gc, project), 409, "project_completed")


def test_a_completion_that_arrives_before_its_award_stays_a_completion(world: World) -> None:
    labour_id, labour = world.employer()
    project, contract = add_project(world.stack.db("registry")), str(uuid.uuid4())
    world.handle("contract.completed", contract_id=contract, project_id=project, cause="contract_completed")
    world.handle("contract.awarded", contract_id=contract, project_id=project, contractor_id=labour_id)
    refused(team(labour, project), 409, "contract_completed")


def test_an_import_into_a_project_the_employer_takes_no_part_in_is_refused_and_starts_nothing(world: World) -> None:
    outsider_id, outsider = world.employer()
    project = add_project(world.stack.db("registry"))
    refused(upload(outsider, project_id=project), 403, "not_on_project")
    assert world.count("SELECT count(*) FROM import_jobs WHERE employer_id = :e", e=outsider_id) == 0


def test_an_import_into_a_team_whose_contract_was_completed_since_is_refused(world: World) -> None:
    labour_id, labour = world.employer()
    project = add_project(world.stack.db("registry"))
    contract = award_contract(world.stack.db("registry"), project, labour_id)
    made = team(labour, project).get_json()["id"]
    world.handle("contract.completed", contract_id=contract, project_id=project, cause="contract_completed")
    refused(upload(labour, kind="team", team_id=made), 409, "contract_completed")
    assert world.count("SELECT count(*) FROM import_jobs WHERE employer_id = :e", e=labour_id) == 0
