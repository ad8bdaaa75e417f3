"""Registering, listing and reading projects through the assignment service's HTTP API, on PostgreSQL (R21)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from werkzeug.test import TestResponse

from realname_assignment.app import create_app
from realname_assignment.models import Party
from realname_assignment.parties import UNIT_TYPES
from realname_kit.pagination import encode_cursor
from realname_kit.timeutil import utcnow
from tests.support.stack import Stack
from tests.support.tokens import bearer

URL = "/api/v1/assignment/projects"
GC_A, GC_B = "e-gc-a", "e-gc-b"
LABOUR, SPECIALTY, UNKNOWN = "e-labour", "e-specialty", "e-never-registered"
EVENTS = "SELECT count(*) FROM outbox WHERE type = 'project.registered'"
AUDITS = "SELECT count(*) FROM outbox WHERE type = 'audit.recorded'"


def project(number: str, **changes: Any) -> dict[str, Any]:
    return {"name": "浦东新区某住宅项目", "registration_number": number, "address": "上海市浦东新区张江路1号",
            "planned_start": "2026-03-01", "planned_completion": "2027-12-31", **changes}


@dataclass
class World:
    stack: Stack
    app: Flask

    def headers(self, *roles: str, enterprise_id: str | None = None) -> dict[str, str]:
        return bearer(self.stack.settings, *roles, enterprise_id=enterprise_id)

    def post(self, body: dict[str, Any], *roles: str, enterprise_id: str | None = None) -> TestResponse:
        return self.app.test_client().post(URL, json=body, headers=self.headers(*roles, enterprise_id=enterprise_id))

    def get(self, url: str, *roles: str, enterprise_id: str | None = None, **query: Any) -> TestResponse:
        return self.app.test_client().get(url, query_string=query,
                                          headers=self.headers(*roles, enterprise_id=enterprise_id))

    def as_gc(self, body: dict[str, Any], gc: str = GC_A) -> TestResponse:
        return self.post(body, "general_contractor", enterprise_id=gc)

    def events(self) -> list[dict[str, Any]]:
        with self.stack.db("assignment").engine.connect() as conn:
            rows = conn.execute(text("SELECT payload FROM outbox ORDER BY seq")).scalars()
            return [json.loads(row) for row in rows]


@pytest.fixture
def world(stack: Stack) -> World:
    stack.migrate("assignment")
    # What the assignment service would have learned from the registry's enterprise.registered events.
    kinds = {GC_A: "general_contractor", GC_B: "general_contractor", LABOUR: "labour", SPECIALTY: "specialty"}
    with stack.db("assignment").transaction() as session:
        for n, (enterprise_id, kind) in enumerate(kinds.items()):
            session.add(Party(enterprise_id=enterprise_id, name=f"企业{n}", uscc=f"{n:018d}", kind=kind,
                              unit_type=UNIT_TYPES[kind], registered_at=utcnow()))
    return World(stack, create_app(stack.settings, stack.db("assignment")))


# --- registering ----------------------------------------------------------------------------------------------

def test_a_general_contractor_registers_its_project_with_its_event_and_audit_record(world: World) -> None:
    response = world.as_gc(project("  sh-2026/0001 "))
    assert response.status_code == 201
    body = response.get_json()
    assert body["registration_number"] == "SH-2026/0001"  # stored as the platform compares it
    assert body["general_contractor_id"] == GC_A and body["status"] == "active"
    assert (body["planned_start"], body["planned_completion"]) == ("2026-03-01", "2027-12-31")
    assert body["name"] == "浦东新区某住宅项目" and body["address"] == "上海市浦东新区张江路1号"
    assert len(body["id"]) == 36 and body["seq"] >= 1 and body["registered_at"]

    event, audit = world.events()
    assert (event["type"], event["source"]) == ("project.registered", "assignment")
    # The same instant: ISO 8601 both, the answer in the API's UTC-with-Z form.
    registered_at = event["data"].pop("registered_at")
    assert datetime.fromisoformat(registered_at) == datetime.fromisoformat(body["registered_at"])
    assert event["data"] == {"project_id": body["id"],
                             **{k: v for k, v in body.items() if k not in ("id", "registered_at")}}
    assert audit["type"] == "audit.recorded"
    assert audit["data"]["action"] == "project.registered" and audit["data"]["subject"] == body["id"]
    assert audit["data"]["actor"]["enterprise_id"] == GC_A
    assert audit["data"]["details"] == {"registration_number": "SH-2026/0001", "general_contractor_id": GC_A}


def test_the_same_registration_number_again_answers_409_with_the_first_project(world: World) -> None:
    first = world.as_gc(project("SH-2026/0002")).get_json()
    again = world.as_gc(project("sh-2026/0002 ", name="另一个名字"))
    assert again.status_code == 409
    assert again.content_type == "application/problem+json"
    assert again.get_json()["reason"] == "project_exists"
    assert again.get_json()["existing"] == first
    assert world.stack.count("assignment", EVENTS) == 1


def test_a_number_another_contractor_registered_is_taken_without_showing_its_project(world: World) -> None:
    world.as_gc(project("SH-2026/0003"), gc=GC_B)
    again = world.as_gc(project("SH-2026/0003"))
    assert again.status_code == 409 and again.get_json()["reason"] == "project_exists"
    assert "existing" not in again.get_json()
    assert GC_B not in again.get_data(as_text=True)


def test_concurrent_registrations_of_one_number_leave_one_project_and_one_event(world: World) -> None:
    headers = world.headers("general_contractor", enterprise_id=GC_A)  # one token, minted before the race

    def register(_: int) -> int:
        return world.app.test_client().post(URL, json=project("SH-2026/0009"), headers=headers).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(register, range(16)))
    assert statuses == [201] + [409] * 15
    assert world.stack.count("assignment", "SELECT count(*) FROM projects") == 1
    assert world.stack.count("assignment", EVENTS) == 1  # one event, however many retries
    assert world.stack.count("assignment", AUDITS) == 1


def test_a_general_contractor_registers_for_itself_only(world: World) -> None:
    refused = world.as_gc(project("SH-2026/0004", general_contractor_id=GC_B))
    assert refused.status_code == 403 and refused.get_json()["reason"] == "not_your_enterprise"
    assert world.stack.count("assignment", "SELECT count(*) FROM outbox") == 0
    own = world.as_gc(project("SH-2026/0004", general_contractor_id=GC_A))
    assert own.status_code == 201 and own.get_json()["general_contractor_id"] == GC_A


@pytest.mark.parametrize("role", ["labour", "specialty", "staff", "project_manager", "regulator"])
def test_nobody_else_registers_a_project(world: World, role: str) -> None:
    response = world.post(project("SH-2026/0005", general_contractor_id=GC_A), role, enterprise_id=GC_A)
    assert response.status_code == 403
    assert world.app.test_client().post(URL, json=project("SH-2026/0005")).status_code == 401


@pytest.mark.parametrize("role", ["admin", "service"])
def test_an_operator_names_a_known_general_contractor(world: World, role: str) -> None:
    cases = {None: "general_contractor_required", UNKNOWN: "general_contractor_unknown",
             LABOUR: "not_a_general_contractor", SPECIALTY: "not_a_general_contractor"}
    for contractor, reason in cases.items():
        given = {"general_contractor_id": contractor} if contractor else {}
        response = world.post(project("SH-2026/0006", **given), role)
        assert (response.status_code, response.get_json()["reason"]) == (422, reason)
    assert world.stack.count("assignment", "SELECT count(*) FROM outbox") == 0
    made = world.post(project("SH-2026/0006", general_contractor_id=GC_B), role)
    assert made.status_code == 201 and made.get_json()["general_contractor_id"] == GC_B


@pytest.mark.parametrize("number", ["   ", "SH 2026", "沪2026-01", "SH_2026", "A" * 41, "\u017f1"])
def test_a_wrong_registration_number_is_refused_and_changes_nothing(world: World, number: str) -> None:
    response = world.as_gc(project(number))
    assert response.status_code == 422
    assert response.get_json()["reason"] == "registration_number_invalid"
    assert response.get_json()["field"] == "registration_number"
    assert world.stack.count("assignment", "SELECT count(*) FROM projects") == 0
    assert world.stack.count("assignment", "SELECT count(*) FROM outbox") == 0


def test_a_completion_before_the_start_is_refused_and_the_same_day_is_not(world: World) -> None:
    reversed_ = world.as_gc(project("SH-2026/0007", planned_start="2026-05-02", planned_completion="2026-05-01"))
    assert reversed_.status_code == 422 and reversed_.get_json()["reason"] == "planned_dates_reversed"
    same_day = world.as_gc(project("SH-2026/0007", planned_start="2026-05-02", planned_completion="2026-05-02"))
    assert same_day.status_code == 201


@pytest.mark.parametrize("field", ["name", "address"])
def test_a_blank_name_or_address_is_refused(world: World, field: str) -> None:
    response = world.as_gc(project("SH-2026/0008", **{field: "   x   "}))
    assert response.status_code == 422 and field in {e["field"] for e in response.get_json()["errors"]}


def test_names_and_addresses_are_kept_without_surrounding_blanks(world: World) -> None:
    body = world.as_gc(project("SH-2026/0010", name="  浦东项目 ", address=" 张江路2号  ")).get_json()
    assert (body["name"], body["address"]) == ("浦东项目", "张江路2号")


# --- reading --------------------------------------------------------------------------------------------------

def numbers(response: TestResponse) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [p["registration_number"] for p in response.get_json()["items"]]


def test_the_list_shows_each_caller_the_projects_it_may_read(world: World) -> None:
    for number, gc in (("A-1", GC_A), ("B-1", GC_B), ("A-2", GC_A)):
        assert world.as_gc(project(number), gc=gc).status_code == 201
    assert numbers(world.get(URL, "general_contractor", enterprise_id=GC_A)) == ["A-1", "A-2"]
    assert numbers(world.get(URL, "staff", enterprise_id=GC_A)) == ["A-1", "A-2"]  # an account of A
    assert numbers(world.get(URL, "general_contractor", enterprise_id=GC_B)) == ["B-1"]
    for role, enterprise in (("labour", LABOUR), ("specialty", SPECIALTY), ("staff", LABOUR), ("staff", None)):
        assert numbers(world.get(URL, role, enterprise_id=enterprise)) == []
    for role in ("regulator", "admin", "service"):
        assert numbers(world.get(URL, role)) == ["A-1", "B-1", "A-2"]
    assert numbers(world.get(URL, "regulator", registration_number=" b-1 ")) == ["B-1"]
    assert numbers(world.get(URL, "general_contractor", enterprise_id=GC_A, registration_number="B-1")) == []
    assert world.app.test_client().get(URL).status_code == 401


def test_every_project_is_listed_once_across_pages(world: World) -> None:
    registered = [f"P-{i}" for i in range(5)]
    for number in registered:
        assert world.as_gc(project(number)).status_code == 201
    seen, cursor, pages = [], None, 0
    while True:
        page = world.get(URL, "regulator", limit=2, **({"cursor": cursor} if cursor else {})).get_json()
        seen += [p["registration_number"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == registered and pages == 3


@pytest.mark.parametrize("position", [{"after": "x"}, {"after": 2**70}, {"after": True}, {"before": 1}])
def test_a_cursor_the_list_did_not_give_out_is_a_400(world: World, position: dict[str, Any]) -> None:
    response = world.get(URL, "regulator", cursor=encode_cursor(position))
    assert response.status_code == 400 and response.get_json()["reason"] == "cursor_invalid"


def test_a_project_is_read_by_its_contractor_its_accounts_and_regulators_and_nobody_else(world: World) -> None:
    made = world.as_gc(project("SH-2026/0011")).get_json()
    url = f"{URL}/{made['id']}"
    readers = [("general_contractor", GC_A), ("staff", GC_A), ("project_manager", GC_A), ("regulator", None),
               ("admin", None), ("service", None)]
    for role, enterprise in readers:
        response = world.get(url, role, enterprise_id=enterprise)
        assert (role, response.status_code, response.get_json()) == (role, 200, made)
    others = [("general_contractor", GC_B), ("staff", GC_B), ("labour", LABOUR), ("specialty", SPECIALTY),
              ("staff", None)]
    for role, enterprise in others:
        response = world.get(url, role, enterprise_id=enterprise)
        assert (role, response.status_code, response.get_json()["reason"]) == (role, 404, "project_not_found")
    unknown = world.get(f"{URL}/no-such-project", "regulator")
    assert unknown.status_code == 404 and unknown.get_json()["reason"] == "project_not_found"
