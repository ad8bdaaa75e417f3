"""A labour company's day through the gateway, in both modes: register, edit, search, import, resign.

The general contractor registers the project; the registry learns it from ``project.registered``; the
labour company makes a team there, registers workers by form and by Excel, edits one with its ETag,
finds them by two characters of a name and the last digits of a number, and records a resignation,
which a regulator then finds in the audit log.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from openpyxl import load_workbook

from realname_gateway.certs.devca import issue
from realname_kit.timeutil import today_in_china
from tests.support.infra import free_port
from tests.support.launched import ROOT, ApiClient, Launched, certificate_login, service_ports
from tests.support.sheets import workbook
from tests.support.stack import Stack, eventually
from tests.support.workers import worker_body

pytestmark = pytest.mark.e2e
LABOUR = ("91310000MA1FL0TX1B", "上海申城劳务有限公司")
GC = ("9131000013221158XC", "上海建工集团")


@pytest.fixture(params=["distributed", "all-in-one"])
def platform(request: pytest.FixtureRequest, stack: Stack, tmp_path: Path) -> Iterator[Launched]:
    if request.param == "distributed":
        env = stack.env(REALNAME_GATEWAY_PORT=str(free_port()), **service_ports())
        launched = Launched(["up", "--distributed"], env, tmp_path / "launcher.log")
    else:  # SQLite, FTS5 and the in-process bus: what `./realname up` runs by default
        env = {k: v for k, v in os.environ.items() if not k.startswith("REALNAME_")}
        env.update(REALNAME_DATA_DIR=str(tmp_path / "var"), REALNAME_GATEWAY_PORT=str(free_port()),
                   REALNAME_AUTHORITY_SIM_PORT=str(free_port()))
        launched = Launched(["up"], env, tmp_path / "launcher.log")
    yield launched
    if launched.proc.poll() is None:
        launched.proc.kill()
        launched.proc.wait()


def award_labour(gc: ApiClient, project_id: str) -> None:
    """The general contractor awards LABOUR a labour subcontract: it takes part in the project (R21)."""
    eventually(lambda: _created(gc.call("POST", f"/api/v1/assignment/projects/{project_id}/contracts", json={
        "contractor_uscc": LABOUR[0], "kind": "labour"})), timeout=15)


def login(launched: Launched, uscc: str, name: str, kind: str) -> ApiClient:
    cert, key = issue(launched.data_dir / "dev-ca", uscc=uscc, enterprise_name=name, operator="李四")
    response = certificate_login(launched.url, cert, key, kind=kind)
    assert response.status_code == 200, response.text
    return ApiClient(launched.url, response.json()["access_token"])


def test_a_labour_company_registers_edits_searches_imports_and_resigns_workers(platform: Launched) -> None:
    platform.wait_ready(timeout=120)
    gc = login(platform, *GC, "general_contractor")
    labour = login(platform, *LABOUR, "labour")
    # the contractor's first login registered it; assignment learns that from the bus within moments
    project = eventually(lambda: _created(gc.call("POST", "/api/v1/assignment/projects", json={
        "name": "徐汇滨江住宅", "registration_number": "BJ-E2E-001", "address": "上海市徐汇区龙腾大道1号",
        "planned_start": "2026-01-01", "planned_completion": "2028-06-30"})), timeout=15)
    award_labour(gc, project["id"])
    team = eventually(lambda: _created(labour.call("POST", "/api/v1/registry/teams", json={
        "project_id": project["id"], "name": "钢筋一班"})), timeout=15)

    body = worker_body(team["id"], name="欧阳娜")
    registered = labour.call("POST", "/api/v1/registry/workers", json=body)
    assert registered.status_code == 201, registered.text
    worker_url = f"/api/v1/registry/workers/{registered.json()['id']}"
    edited = labour.call("PATCH", worker_url, json={"employment": {"contract_number": "HT-E2E-9"}},
                         headers={"If-Match": registered.headers["ETag"]})
    assert edited.status_code == 200, edited.text
    assert labour.call("GET", worker_url).json()["employment"]["contract_number"] == "HT-E2E-9"  # R11

    found = labour.call("GET", "/api/v1/registry/workers", params={"name": "欧阳"}).json()["items"]
    assert [w["id"] for w in found] == [registered.json()["id"]]
    tail = body["identity"]["id_number"][-4:]
    by_tail = labour.call("GET", "/api/v1/registry/workers", params={"id_number": tail}).json()["items"]
    assert registered.json()["id"] in [w["id"] for w in by_tail]

    bad = worker_body(None, number="310104198503151234")
    sheet = workbook([worker_body(None), bad, worker_body(None)], team_name="钢筋一班")
    imported = labour.call("POST", "/api/v1/registry/imports", data={"project_id": project["id"]},
                           files={"file": ("工人.xlsx", io.BytesIO(sheet))})
    assert imported.status_code == 201, imported.text
    assert (imported.json()["registered"], imported.json()["failed"]) == (2, 1)
    errors = labour.call("GET", imported.json()["errors_url"])
    rows = list(load_workbook(io.BytesIO(errors.content)).active.iter_rows(values_only=True))
    assert rows[0][-1] == "错误原因" and len(rows) == 2

    leader = labour.call("POST", f"/api/v1/registry/teams/{team['id']}/leader",
                         json={"worker_id": registered.json()["id"]})
    assert leader.status_code == 200, leader.text
    resigned = labour.call("POST", f"{worker_url}/resignation", json={"date": today_in_china().isoformat()})
    assert resigned.status_code == 200, resigned.text
    assert resigned.json()["employment"]["status"] == "ended"
    assert resigned.json()["team_needs_leader"]["team_id"] == team["id"]  # R17
    the_regulator_finds_the_resignation(platform, registered.json()["id"])


def the_regulator_finds_the_resignation(launched: Launched, worker_id: str) -> None:
    made = subprocess.run([str(ROOT / "realname"), "admin", "create-regulator", "--username", "inspector.wu",
                           "--display-name", "吴监督", "--password-stdin"], input=b"correct horse 42\n",
                          env=launched.env, cwd=ROOT, capture_output=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr.decode()[-2000:]
    token = requests.post(f"{launched.url}/api/v1/auth/login/password", timeout=20,
                          json={"username": "inspector.wu", "password": "correct horse 42"}).json()["access_token"]
    regulator = ApiClient(launched.url, token)
    history = regulator.call("GET", f"/api/v1/registry/workers/{worker_id}/history").json()["items"]
    assert [h["action"] for h in history] == ["registered", "updated", "resigned"]  # R15

    def recorded() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = regulator.call(
            "GET", "/api/v1/reporting/audit", params={"action": "employment.resigned"}).json()["items"]
        return items or None
    assert eventually(recorded, timeout=15)[0]["subject"] == worker_id


def _created(response: requests.Response) -> dict[str, Any] | None:
    return response.json() if response.status_code == 201 else None
