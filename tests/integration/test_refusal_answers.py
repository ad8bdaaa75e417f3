"""Refusals a clerk can act on (R2, R33): a reason code and words in Chinese and English on every refusal,
and every mistake of a form in one answer, the schema's and the domain's in the same shape."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook

from realname_kit.timeutil import today_in_china
from realname_registry.app import create_app
from tests.support.sheets import workbook
from tests.support.stack import Stack
from tests.support.tokens import bearer
from tests.support.workers import Client, add_project, award_contract, worker_body

REGISTRY = "/api/v1/registry"
WORKERS = f"{REGISTRY}/workers"


@dataclass
class World:
    stack: Stack
    app: Flask
    project: str
    team: str
    clerk: Client


@pytest.fixture(scope="module")
def world(module_stack: Stack) -> World:
    module_stack.migrate("registry")
    app = create_app(module_stack.settings, module_stack.db("registry"))
    clerk_id = str(uuid.uuid4())
    clerk = Client(app.test_client(), bearer(module_stack.settings, "labour", enterprise_id=clerk_id))
    project = add_project(module_stack.db("registry"), contractors=[clerk_id])
    team = clerk.post(f"{REGISTRY}/teams", json={"project_id": project, "name": "钢筋一班"}).get_json()["id"]
    return World(module_stack, app, project, team, clerk)


def refused(response: Any, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["reason"] == reason, body
    assert body["message"] and _chinese(body["message_zh"]), body
    return body


def _chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def reasons(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {(e["field"], e["reason"]) for e in body["errors"]}


def test_a_registration_with_missing_and_wrong_fields_answers_every_mistake_at_once(world: World) -> None:
    body = worker_body(world.team, number="310104198503151234")  # a wrong check character: the domain's
    del body["identity"]["name"]                                  # missing: the schema's
    body["employment"]["contract_end"] = "31/12/2027"             # not a date: the schema's
    body["phone"] = "12345"                                       # not a mobile number: the domain's
    problem = refused(world.clerk.post(WORKERS, json=body), 422, "worker_invalid")
    assert {("identity.name", "required"), ("employment.contract_end", "invalid_date"),
            ("identity.id_number", "id_number_check_character"), ("phone", "phone_invalid")} <= reasons(problem)
    assert all({"field", "reason", "message", "message_zh"} <= set(e) and _chinese(e["message_zh"])
               for e in problem["errors"])
    assert world.stack.count("registry", "SELECT count(*) FROM workers") == 0


def test_a_field_the_schema_refused_is_not_reported_twice(world: World) -> None:
    body = worker_body(world.team)
    body["employment"]["wage_type"] = "hourly"
    problem = refused(world.clerk.post(WORKERS, json=body), 422, "worker_invalid")
    assert [e["reason"] for e in problem["errors"] if e["field"] == "employment.wage_type"] == ["not_one_of"]


@pytest.mark.parametrize(("change", "field", "reason"), [
    ({"phone": "1" * 31}, "phone", "too_long"),
    ({"phone": ""}, "phone", "too_short"),
    ({"phone": 13900000000}, "phone", "invalid_type"),
    ({"category": "visitor"}, "category", "not_one_of"),
    ({"extra": 1}, "extra", "unknown_field"),
])
def test_each_schema_mistake_has_its_own_reason_code(world: World, change: dict[str, Any], field: str,
                                                     reason: str) -> None:
    problem = refused(world.clerk.post(WORKERS, json={**worker_body(world.team), **change}), 422, "worker_invalid")
    assert (field, reason) in reasons(problem)


def test_an_edit_with_a_mistyped_and_a_wrong_field_answers_both(world: World) -> None:
    created = world.clerk.post(WORKERS, json=worker_body(world.team))
    assert created.status_code == 201, created.get_json()
    url = f"{WORKERS}/{created.get_json()['id']}"
    patch = {"phone": "12345", "employment": {"contract_start": "yesterday"}}
    problem = refused(world.clerk.patch(url, json=patch, headers={"If-Match": created.headers["ETag"]}), 422,
                      "worker_invalid")
    assert {("phone", "phone_invalid"), ("employment.contract_start", "invalid_date")} <= reasons(problem)


def test_a_query_parameter_no_endpoint_knows_is_refused_in_the_same_shape(world: World) -> None:
    problem = refused(world.clerk.get(f"{WORKERS}?limt=10"), 422, "validation_failed")
    assert reasons(problem) == {("limt", "unknown_field")}
    assert problem["errors"][0]["location"] == "query"


def test_an_import_row_lists_every_reason_it_fails_not_only_its_unknown_team(world: World) -> None:
    body = worker_body(None, number="310104198503151234")  # a wrong check character
    body["phone"] = "12345"
    body["employment"]["contract_end"] = None              # an empty required cell
    content = workbook([body, worker_body(None)], team_name="不存在的班")
    data = {"file": (io.BytesIO(content), "工人导入.xlsx"), "kind": "workers", "project_id": world.project}
    job = world.clerk.post(f"{REGISTRY}/imports", data=data, content_type="multipart/form-data").get_json()
    assert job["failed"] == 2 and job["registered"] == 0, job
    sheet = load_workbook(io.BytesIO(world.clerk.get(job["errors_url"]).data)).active
    assert sheet is not None
    first, second = (str(row[-1]) for row in list(sheet.iter_rows(values_only=True))[1:3])
    assert "不存在的班" in first and "校验位" in first and "手机号码" in first and "合同结束日期" in first
    assert "不存在的班" in second and "校验位" not in second
    listed = world.clerk.get(f"{REGISTRY}/imports/{job['id']}/failed-rows").get_json()["items"]
    assert [r["row_number"] for r in listed] == [2, 3]
    assert {r["reason"] for r in listed[0]["reasons"]} >= {"team_unknown", "id_number_check_character",
                                                          "phone_invalid", "cell_invalid"}
    assert [r["reason"] for r in listed[1]["reasons"]] == ["team_unknown"]


def test_a_team_name_taken_is_refused_in_both_languages(world: World) -> None:
    again = world.clerk.post(f"{REGISTRY}/teams", json={"project_id": world.project, "name": "钢筋一班"})
    assert "已有同名班组" in refused(again, 409, "team_exists")["message_zh"]


def test_an_edit_over_another_and_an_edit_without_its_etag_are_refused_in_both_languages(world: World) -> None:
    created = world.clerk.post(WORKERS, json=worker_body(world.team))
    url, etag = f"{WORKERS}/{created.get_json()['id']}", created.headers["ETag"]
    refused(world.clerk.patch(url, json={"phone": "13700001111"}), 428, "if_match_required")
    assert world.clerk.patch(url, json={"phone": "13700001111"}, headers={"If-Match": etag}).status_code == 200
    late = world.clerk.patch(url, json={"phone": "13700002222"}, headers={"If-Match": etag})
    assert "重新读取" in refused(late, 412, "edited_meanwhile")["message_zh"]


def test_a_worker_another_employer_holds_is_refused_in_both_languages(world: World) -> None:
    body = worker_body(world.team)
    assert world.clerk.post(WORKERS, json=body).status_code == 201
    other_id = str(uuid.uuid4())
    award_contract(world.stack.db("registry"), world.project, other_id)
    other = Client(world.app.test_client(), bearer(world.stack.settings, "labour", enterprise_id=other_id))
    team = other.post(f"{REGISTRY}/teams", json={"project_id": world.project, "name": "木工班"}).get_json()["id"]
    again = other.post(WORKERS, json={**body, "employment": {**body["employment"], "team_id": team}})
    assert "离职" in refused(again, 409, "employed_elsewhere")["message_zh"]


def test_a_resignation_dated_tomorrow_is_refused_in_both_languages(world: World) -> None:
    created = world.clerk.post(WORKERS, json=worker_body(world.team)).get_json()
    tomorrow = (today_in_china() + timedelta(days=1)).isoformat()
    late = world.clerk.post(f"{WORKERS}/{created['id']}/resignation", json={"date": tomorrow})
    refused(late, 422, "resignation_in_future")


@pytest.mark.parametrize(("call", "status", "reason"), [
    (lambda c: c.client.get(WORKERS), 401, "unauthenticated"),
    (lambda c: c.get(f"{WORKERS}/{uuid.uuid4()}"), 404, "worker_not_found"),
    (lambda c: c.client.delete(WORKERS, headers=c.headers), 405, "method_not_allowed"),
    (lambda c: c.get(f"{REGISTRY}/no-such-thing"), 404, "not_found"),
])
def test_generic_refusals_answer_in_both_languages(world: World, call: Any, status: int, reason: str) -> None:
    refused(call(world.clerk), status, reason)
