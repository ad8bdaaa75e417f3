"""Registering and editing workers through the registry's HTTP API, on PostgreSQL (R4–R13, R15, R34)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask

from realname_kit.timeutil import today_in_china
from realname_registry.app import create_app
from tests.support.stack import Stack
from tests.support.tokens import bearer
from tests.support.workers import Client, add_project, id_number, worker_body

WORKERS = "/api/v1/registry/workers"


@dataclass
class World:
    stack: Stack
    app: Flask
    project: str
    team: str
    a: Client        # labour company A
    b: Client        # labour company B
    a_id: str
    b_id: str

    def as_enterprise(self, enterprise_id: str, role: str = "labour") -> Client:
        return Client(self.app.test_client(), bearer(self.stack.settings, role, enterprise_id=enterprise_id))

    def regulator(self) -> Client:
        return Client(self.app.test_client(), bearer(self.stack.settings, "regulator"))


@pytest.fixture(scope="module")
def world(module_stack: Stack) -> World:
    module_stack.migrate("registry")
    app = create_app(module_stack.settings, module_stack.db("registry"))
    a_id, b_id = str(uuid.uuid4()), str(uuid.uuid4())
    project = add_project(module_stack.db("registry"), contractors=[a_id, b_id])
    w = World(module_stack, app, project, "", Client(app.test_client(), {}), Client(app.test_client(), {}), a_id, b_id)
    w.a, w.b = w.as_enterprise(a_id), w.as_enterprise(b_id)
    w.team = w.a.post("/api/v1/registry/teams", json={"project_id": w.project, "name": "钢筋一班"}).get_json()["id"]
    return w


def register(world: World, **kwargs: object) -> dict[str, Any]:
    response = world.a.post(WORKERS, json=worker_body(world.team, **kwargs))  # type: ignore[arg-type]
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_a_worker_typed_in_is_registered_unverified_with_numbers_masked(world: World) -> None:
    number = id_number()
    worker = register(world, number=number)
    assert worker["identity_status"] == "unverified"
    assert worker["id_number"] == number[:6] + "********" + number[-4:]  # R4
    assert worker["phone"].startswith("139****")
    assert worker["employment"]["wage_card_number"].startswith("**** **** **** ")
    assert worker["employment"]["team_name"] == "钢筋一班" and worker["employment"]["project_id"] == world.project


def test_every_mistake_of_a_registration_comes_back_at_once_with_reasons(world: World) -> None:
    body = worker_body(world.team, number="310104198503151234", wage_type="daily")
    body["phone"] = "12345"
    response = world.a.post(WORKERS, json=body)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    problem = response.get_json()
    reasons = {e["reason"] for e in problem["errors"]}
    assert {"id_number_check_character", "phone_invalid"} <= reasons
    assert all(e["message_zh"] for e in problem["errors"])
    assert world.stack.count("registry", "SELECT count(*) FROM workers WHERE name = :n",
                             n=body["identity"]["name"]) == 0


def test_a_worker_under_18_is_refused_r34(world: World) -> None:
    birth = today_in_china() - timedelta(days=17 * 365)
    response = world.a.post(WORKERS, json=worker_body(world.team, birth=birth))
    assert response.status_code == 422
    assert "too_young" in {e["reason"] for e in response.get_json()["errors"]}


def test_a_worker_another_labour_company_employs_is_refused_naming_it_r12(world: World) -> None:
    body = worker_body(world.team)
    assert world.a.post(WORKERS, json=body).status_code == 201
    b_team = world.b.post("/api/v1/registry/teams", json={"project_id": world.project, "name": "木工班"}).get_json()
    body_b = {**body, "employment": {**body["employment"], "team_id": b_team["id"]}}
    refused = world.b.post(WORKERS, json=body_b)
    assert refused.status_code == 409
    assert refused.get_json()["reason"] == "employed_elsewhere"
    assert refused.get_json()["employer"]["id"] == world.a_id


def test_registering_the_same_worker_again_keeps_one_registration(world: World) -> None:
    body = worker_body(world.team)
    first = world.a.post(WORKERS, json=body)
    again = world.a.post(WORKERS, json=body)
    assert again.status_code == 409 and again.get_json()["reason"] == "already_employed_by_you"
    assert again.get_json()["worker_id"] == first.get_json()["id"]


def test_two_employers_registering_one_person_at_once_leave_one_employment_r12(world: World) -> None:
    body = worker_body(None)
    body["employment"]["team_id"] = None
    body["employment"]["trade_code"] = "900"  # management staff need no team (R36)
    employers = [str(uuid.uuid4()) for _ in range(8)]

    def register_as(enterprise_id: str) -> int:
        return world.as_enterprise(enterprise_id).post(WORKERS, json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(register_as, employers))
    assert statuses == [201] + [409] * 7
    number = body["identity"]["id_number"]
    found = world.regulator().get(WORKERS, query_string={"id_number": number, "status": "all"}).get_json()["items"]
    assert len(found) == 1


def test_a_contract_ending_before_the_projects_completion_is_a_warning_r6(world: World) -> None:
    end = str(today_in_china() + timedelta(days=30))
    worker = register(world, contract_end=end)
    assert "contract_ends_before_completion" in {w["reason"] for w in worker["warnings"]}


def test_a_wage_card_failing_the_luhn_check_is_flagged_not_refused_r8(world: World) -> None:
    worker = register(world, wage_card_number="6222020000000001")
    assert worker["employment"]["wage_card_flagged"] is True
    assert "wage_card_luhn" in {w["reason"] for w in worker["warnings"]}


def test_a_general_contractor_registers_its_site_staff_but_no_construction_workers_r13(world: World) -> None:
    gc = world.as_enterprise(str(uuid.uuid4()), "general_contractor")
    refused = gc.post(WORKERS, json=worker_body(None))
    assert refused.status_code == 403 and refused.get_json()["reason"] == "general_contractor_site_staff_only"
    guard = worker_body(None, trade_code=None)
    guard.update(category="site_staff", site_role="security")
    response = gc.post(WORKERS, json=guard)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["category"] == "site_staff"


def test_registration_defaults_come_from_the_employers_last_registration_r10(world: World) -> None:
    register(world, bank_code="308", trade_code="020", base_wage="6100.00")
    defaults = world.a.get("/api/v1/registry/registration-defaults").get_json()["employment"]
    assert (defaults["bank_code"], defaults["trade_code"], defaults["base_wage"]) == ("308", "020", "6100.00")
    assert defaults["team_id"] == world.team


def test_an_edit_is_saved_and_the_next_read_shows_it_r11(world: World) -> None:
    worker = register(world)
    url = f"{WORKERS}/{worker['id']}"
    etag = world.a.get(url).headers["ETag"]
    edited = world.a.patch(url, json={"employment": {"contract_number": "HT-NEW-1"}, "phone": "13700001111"},
                           headers={"If-Match": etag})
    assert edited.status_code == 200, edited.get_json()
    again = world.a.get(url)
    assert again.get_json()["employment"]["contract_number"] == "HT-NEW-1"
    assert again.get_json()["phone"] == "137****1111"
    assert again.headers["ETag"] == edited.headers["ETag"] != etag


def test_an_edit_over_someone_elses_edit_is_refused_412_and_loses_nothing_r11(world: World) -> None:
    worker = register(world)
    url = f"{WORKERS}/{worker['id']}"
    etag = world.a.get(url).headers["ETag"]
    first = world.a.patch(url, json={"employment": {"contract_number": "HT-FIRST"}}, headers={"If-Match": etag})
    second = world.a.patch(url, json={"employment": {"contract_number": "HT-SECOND"}}, headers={"If-Match": etag})
    assert first.status_code == 200 and second.status_code == 412
    assert second.get_json()["reason"] == "edited_meanwhile"
    assert world.a.get(url).get_json()["employment"]["contract_number"] == "HT-FIRST"


def test_an_edit_without_if_match_is_refused_428(world: World) -> None:
    worker = register(world)
    response = world.a.patch(f"{WORKERS}/{worker['id']}", json={"employment": {"contract_number": "X-1"}})
    assert response.status_code == 428 and response.get_json()["reason"] == "if_match_required"


def test_a_retried_edit_with_the_old_etag_succeeds_without_a_second_change(world: World) -> None:
    worker = register(world)
    url = f"{WORKERS}/{worker['id']}"
    etag = world.a.get(url).headers["ETag"]
    patch = {"employment": {"contract_number": "HT-RETRY"}}
    assert world.a.patch(url, json=patch, headers={"If-Match": etag}).status_code == 200
    assert world.a.patch(url, json=patch, headers={"If-Match": etag}).status_code == 200
    history = world.a.get(f"{url}/history").get_json()["items"]
    assert [h["action"] for h in history] == ["registered", "updated"]


def test_the_history_keeps_each_change_with_before_and_after_and_masks_card_numbers_r15(world: World) -> None:
    worker = register(world)
    url = f"{WORKERS}/{worker['id']}"
    etag = world.a.get(url).headers["ETag"]
    world.a.patch(url, json={"employment": {"wage_card_number": "6222020000000017", "base_wage": "5300"}},
                  headers={"If-Match": etag})
    entries = world.regulator().get(f"{url}/history").get_json()["items"]
    change = entries[-1]["changes"]
    assert change["employment.base_wage"] == ["5200.00", "5300.00"]
    assert change["employment.wage_card_number"][1] == "**** **** **** 0017"
    assert entries[-1]["actor_enterprise_id"] == world.a_id


def test_an_employer_never_sees_another_employers_worker(world: World) -> None:
    worker = register(world)
    response = world.b.get(f"{WORKERS}/{worker['id']}")
    assert response.status_code == 404


def test_revealing_a_full_id_number_needs_a_reason_and_is_audited_r4(world: World) -> None:
    number = id_number()
    worker = register(world, number=number)
    url = f"{WORKERS}/{worker['id']}"
    assert world.a.get(url, query_string={"reveal": "id_number"}).status_code == 422
    shown = world.a.get(url, query_string={"reveal": "id_number", "reason": "核对劳动合同"}).get_json()
    assert shown["id_number"] == number
    assert world.stack.count("registry", "SELECT count(*) FROM outbox WHERE type = 'audit.recorded' "
                                         "AND payload LIKE :w", w=f"%{worker['id']}%") == 1


def test_birth_dates_agree_with_the_id_number(world: World) -> None:
    body = worker_body(world.team, number=id_number(date(1990, 1, 1)), birth=date(1985, 3, 15))
    body["identity"]["id_number"] = id_number(date(1990, 1, 1))
    response = world.a.post(WORKERS, json=body)
    assert response.status_code == 422
    assert "birth_date_mismatch" in {e["reason"] for e in response.get_json()["errors"]}
