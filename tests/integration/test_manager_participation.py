"""An enterprise appoints project managers only on a project it takes part in (R21, R32): the gateway asks the
assignment service, which owns the contract chain; the refusal makes nothing, in both languages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.credit_codes import uscc_for
from tests.support.platform import Platform, bearer, build_platform
from tests.support.stack import Stack

GC = (uscc_for("participation-gc"), "上海建工集团股份有限公司")
SP = (uscc_for("participation-sp"), "华东机电安装有限公司")
PASSWORD = "correct horse 42"
NOTHING_MADE = "SELECT count(*) FROM project_managers"


@dataclass
class World:
    platform: Platform
    gc: str
    sp: str
    project: str

    def appoint(self, token: str, body: dict[str, Any], project: str | None = None) -> Any:
        return self.platform.client.put(f"/api/v1/auth/projects/{project or self.project}/manager",
                                        headers=bearer(token), json=body)

    def staff(self, token: str, username: str) -> str:
        made = self.platform.client.post("/api/v1/auth/accounts", headers=bearer(token), json={
            "username": username, "display_name": "王五", "password": PASSWORD})
        assert made.status_code == 201, made.get_json()
        account_id: str = made.get_json()["id"]
        return account_id

    def count(self, sql: str) -> int:
        return self.platform.stack.count("gateway", sql)


@pytest.fixture
def world(stack: Stack) -> World:
    platform = build_platform(stack)
    gc, _ = platform.enterprise(*GC, "general_contractor")
    sp, _ = platform.enterprise(*SP, "specialty")
    return World(platform, gc, sp, platform.project(gc, "SH-2026/0201"))


def refused(response: Any, status: int, reason: str) -> dict[str, Any]:
    body: dict[str, Any] = response.get_json()
    assert (response.status_code, body["reason"]) == (status, reason), body
    assert body["message_zh"]
    return body


def test_an_enterprise_appoints_no_manager_on_a_project_it_takes_no_part_in_r21(world: World) -> None:
    manager = world.staff(world.sp, "sp.pm")
    body = refused(world.appoint(world.sp, {"account_id": manager}), 403, "not_on_project")
    assert "参与" in body["message_zh"] and body["project_id"] == world.project
    fresh = {"account": {"username": "sp.new", "display_name": "项目经理", "password": PASSWORD}}
    refused(world.appoint(world.sp, fresh), 403, "not_on_project")
    assert world.count(NOTHING_MADE) == 0
    assert world.count("SELECT count(*) FROM accounts WHERE username = 'sp.new'") == 0


def test_a_project_that_does_not_exist_is_answered_as_one_it_takes_no_part_in(world: World) -> None:
    manager = world.staff(world.gc, "gc.pm")
    refused(world.appoint(world.gc, {"account_id": manager}, project="P-404"), 403, "not_on_project")


def test_the_general_contractor_and_a_subcontractor_it_awarded_appoint_their_managers(world: World) -> None:
    assert world.appoint(world.gc, {"account_id": world.staff(world.gc, "gc.pm")}).status_code == 200
    award = world.platform.client.post(f"/api/v1/assignment/projects/{world.project}/contracts",
                                       headers=bearer(world.gc), json={"contractor_uscc": SP[0], "kind": "specialty"})
    assert award.status_code == 201, award.get_json()
    assert world.appoint(world.sp, {"account_id": world.staff(world.sp, "sp.pm")}).status_code == 200
    completed = world.platform.client.post(f"/api/v1/assignment/contracts/{award.get_json()['id']}/completion",
                                           headers=bearer(world.gc))
    assert completed.status_code == 200, completed.get_json()
    again = world.appoint(world.sp, {"account_id": world.staff(world.sp, "sp.next")})
    assert "完结" in refused(again, 409, "participation_ended")["message_zh"]
