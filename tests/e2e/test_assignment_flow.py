"""A project from registration to exit through the gateway, in both modes (R13, R18-R24, R32).

The general contractor registers a project and its project account in one more call; it awards a labour
subcontract and a specialty one, beneath which the specialty subcontractor awards a labour subcontract. Both
labour companies register workers in the registry, which the assignment service learns from the bus; they assign
them; the project manager and the specialty subcontractor confirm entry. The workforce query shows the general
contractor each worker once their using enterprise accepted them; a resignation exits the worker by itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from realname_kit.timeutil import today_in_china
from tests.e2e.test_registry_flow import login
from tests.e2e.test_registry_flow import platform as platform  # noqa: PLC0414  (the same two modes)
from tests.support.launched import ApiClient, Launched
from tests.support.stack import eventually
from tests.support.workers import worker_body

pytestmark = pytest.mark.e2e
GC = ("9131000013221158XC", "上海建工集团")
LABOUR = ("91310000MA1FL0TX1B", "上海申城劳务有限公司")
SPECIALTY = ("91350100M000100Y43", "华东机电安装有限公司")
LABOUR_B = ("91310000MA1K4CR2XM", "闵行建筑劳务有限公司")
API = "/api/v1/assignment"
PASSWORD = "correct horse 42"


def ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def created(response: requests.Response) -> Any:
    return response.json() if response.status_code == 201 else None


@pytest.fixture
def parties(platform: Launched) -> Iterator[dict[str, ApiClient]]:
    platform.wait_ready(timeout=120)
    yield {"gc": login(platform, *GC, "general_contractor"), "labour": login(platform, *LABOUR, "labour"),
           "sp": login(platform, *SPECIALTY, "specialty"), "labour_b": login(platform, *LABOUR_B, "labour")}


def register_worker(company: ApiClient, project_id: str, team_name: str, name: str) -> str:
    team = eventually(lambda: created(company.call("POST", "/api/v1/registry/teams", json={
        "project_id": project_id, "name": team_name})), timeout=20)
    registered = ok(company.call("POST", "/api/v1/registry/workers", json=worker_body(team["id"], name=name)), 201)
    return str(registered["id"])


def assign(company: ApiClient, contract_id: str, worker_id: str) -> str:
    """Assign once the assignment service has learned the worker from the registry's event."""
    def answered() -> Any:
        item = ok(company.call("POST", f"{API}/assignments",
                               json={"contract_id": contract_id, "worker_ids": [worker_id]}))["items"][0]
        return item if item["outcome"] == "assigned" else None
    return str(eventually(answered, timeout=30)["assignment_id"])


def names(client: ApiClient, project_id: str, **query: str) -> list[str]:
    items = ok(client.call("GET", f"{API}/projects/{project_id}/workforce", params=query))["items"]
    return sorted(i["name"] for i in items)


def test_a_project_from_registration_to_exit_through_the_contract_chain(platform: Launched,
                                                                         parties: dict[str, ApiClient]) -> None:
    gc, labour, sp, labour_b = parties["gc"], parties["labour"], parties["sp"], parties["labour_b"]
    project = eventually(lambda: created(gc.call("POST", f"{API}/projects", json={
        "name": "徐汇滨江二期", "registration_number": "BJ-E2E-ASSIGN", "address": "上海市徐汇区龙腾大道2号",
        "planned_start": "2026-01-01", "planned_completion": "2028-06-30"})), timeout=20)
    pid = project["id"]
    manager = ok(gc.call("PUT", f"/api/v1/auth/projects/{pid}/manager", json={"account": {
        "username": "pm.binjiang", "display_name": "项目经理", "password": PASSWORD}}))
    assert manager["account"]["username"] == "pm.binjiang"
    pm_token = ok(requests.post(f"{platform.url}/api/v1/auth/login/password", timeout=20,
                                json={"username": manager["account"]["login"], "password": PASSWORD}))["access_token"]
    pm = ApiClient(platform.url, pm_token)

    def award(by: ApiClient, uscc: str, kind: str, **extra: str) -> str:
        body = {"contractor_uscc": uscc, "kind": kind, **extra}
        return str(eventually(lambda: created(by.call("POST", f"{API}/projects/{pid}/contracts", json=body)),
                              timeout=20)["id"])
    la = award(gc, LABOUR[0], "labour", name="钢筋劳务分包")
    sp_contract = award(gc, SPECIALTY[0], "specialty", name="机电安装专业分包")
    lb = award(sp, LABOUR_B[0], "labour", parent_id=sp_contract)  # unnamed: shown by the project's name (R22)

    zhang = register_worker(labour, pid, "钢筋一班", "张建国")
    li = register_worker(labour_b, pid, "机电一班", "李卫东")
    on_la, on_lb = assign(labour, la, zhang), assign(labour_b, lb, li)

    # the decision list shows whom the project manager admits (R19): masked numbers (R4), status, team, employer
    [waiting] = ok(pm.call("GET", f"{API}/assignments", params={"side": "using", "status": "requested"}))["items"]
    shown = ok(labour.call("GET", f"/api/v1/registry/workers/{zhang}"))
    assert (waiting["worker_name"], waiting["id_number"], waiting["phone"]) == ("张建国", shown["id_number"],
                                                                               shown["phone"])
    assert "*" in waiting["id_number"] and waiting["identity_status"] == "unverified"
    assert (waiting["team_name"], waiting["employer_name"], waiting["employer_uscc"]) == ("钢筋一班", *LABOUR[::-1])

    key = {"Idempotency-Key": str(uuid.uuid4())}
    decided = ok(pm.call("POST", f"{API}/decisions", json={"items": [
        {"assignment_id": on_la, "decision": "accept"}]}, headers=key))
    assert decided["items"][0]["outcome"] == "accepted"  # the project manager holds confirm_entry (R32)
    retried = pm.call("POST", f"{API}/decisions", json={"items": [{"assignment_id": on_la, "decision": "accept"}]},
                      headers=key)
    assert ok(retried) == decided and retried.headers["Idempotent-Replayed"] == "true"  # R33

    assert names(gc, pid) == ["张建国"]  # R21: 李卫东 waits for the specialty subcontractor's decision
    assert ok(sp.call("POST", f"{API}/decisions", json={"items": [
        {"assignment_id": on_lb, "decision": "accept"}]}))["items"][0]["outcome"] == "accepted"
    assert names(gc, pid) == ["张建国", "李卫东"] and names(labour, pid) == ["张建国"]
    rows = {r["name"]: r for r in ok(gc.call("GET", f"{API}/projects/{pid}/workforce"))["items"]}
    assert rows["李卫东"]["contract"]["name_missing"] is True and rows["张建国"]["entry_at"]
    assert rows["李卫东"]["employer"]["name"] == LABOUR_B[1]

    ok(labour.call("POST", f"/api/v1/registry/workers/{zhang}/resignation", json={"date": str(today_in_china())}))
    eventually(lambda: names(gc, pid) == ["李卫东"], timeout=30)  # R24: the exit follows by itself
    gone = ok(gc.call("GET", f"{API}/projects/{pid}/workforce", params={"status": "exited"}))["items"]
    assert [(r["name"], r["exit_cause"]) for r in gone] == [("张建国", "employment_ended")]
