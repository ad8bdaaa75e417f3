"""A project account (项目账号): made and appointed project manager in one call, on real PostgreSQL (R32, R33)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import jwt
import pytest

from realname_assignment.models import Party
from realname_codes.roles import PROJECT_FUNCTIONS
from realname_gateway.auth import delegation
from realname_kit.timeutil import utcnow
from tests.support.platform import Platform, bearer, build_platform
from tests.support.stack import Stack

GC = ("9131000013221158XC", "上海建工集团")
OTHER_GC = ("91310000132211598C", "上海隧道工程有限公司")
LABOUR = ("91350100M000100Y43", "福建劳务有限公司")
PASSWORD = "correct horse 42"
NEW_ACCOUNT = {"username": "pm.zhang", "display_name": "张经理", "password": PASSWORD, "phone": "13812345678"}
ACCOUNTS = "SELECT count(*) FROM accounts"
MANAGERS = "SELECT count(*) FROM project_managers"
AUDIT = "SELECT count(*) FROM outbox WHERE type = 'audit.recorded' AND payload LIKE :action"


@dataclass
class World:
    platform: Platform
    gc: str          # the general contractor's access token
    gc_id: str       # its enterprise id
    project_id: str  # a project it registered in the assignment service

    def appoint(self, body: dict[str, Any], token: str | None = None, project_id: str | None = None) -> Any:
        return self.platform.client.put(f"/api/v1/auth/projects/{project_id or self.project_id}/manager",
                                        headers=bearer(token or self.gc), json=body)

    def count(self, sql: str, **params: Any) -> int:
        return self.platform.stack.count("gateway", sql, **params)

    def audits(self, action: str) -> int:
        return self.count(AUDIT, action=f"%{action}%")


def _enterprise(platform: Platform, uscc: str, name: str, kind: str) -> tuple[str, str]:
    login = platform.certificate_login(platform.certificate(uscc, name), kind).get_json()
    return login["access_token"], login["enterprise_id"]


@pytest.fixture
def world(stack: Stack) -> World:
    platform = build_platform(stack)
    gc, gc_id = _enterprise(platform, *GC, "general_contractor")
    # What assignment would learn from the registry's enterprise.registered event (no bus runs in this process).
    with stack.db("assignment").transaction() as session:
        session.add(Party(enterprise_id=gc_id, name=GC[1], uscc=GC[0], kind="general_contractor", unit_type="009",
                          registered_at=utcnow()))
    project = platform.client.post("/api/v1/assignment/projects", headers=bearer(gc), json={
        "name": "浦东新区某住宅项目", "registration_number": "SH-2026/0001", "address": "上海市浦东新区张江路1号",
        "planned_start": "2026-03-01", "planned_completion": "2027-12-31"})
    assert project.status_code == 201, project.get_json()
    return World(platform, gc, gc_id, project.get_json()["id"])


def _claims(platform: Platform, access_token: str) -> dict[str, Any]:
    key = jwt.PyJWK(platform.client.get("/api/v1/auth/jwks").get_json()["keys"][0])
    claims: dict[str, Any] = jwt.decode(access_token, key.key, algorithms=[key.algorithm_name], audience="realname")
    return claims


def test_a_project_account_is_created_and_appointed_in_one_call_and_logs_in_with_its_projects_functions(
        world: World) -> None:
    response = world.appoint({"account": NEW_ACCOUNT})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    account = body["account"]
    assert {k: body[k] for k in ("project_id", "enterprise_id", "account_id")} == \
        {"project_id": world.project_id, "enterprise_id": world.gc_id, "account_id": account["id"]}
    assert body["appointed_at"]
    assert {k: account[k] for k in ("username", "display_name", "kind", "enterprise_id", "phone", "disabled")} == \
        {"username": "pm.zhang", "display_name": "张经理", "kind": "staff", "enterprise_id": world.gc_id,
         "phone": "138****5678", "disabled": False}  # masked (R4), as AccountOut shows it elsewhere
    assert "password" not in account
    assert world.audits("account.created") == world.audits("delegation.manager_appointed") == 1

    login = world.platform.password_login(f"pm.zhang@{GC[0]}", PASSWORD)  # at once, with the password just given
    assert login.status_code == 200, login.get_json()
    tokens = login.get_json()
    assert tokens["roles"] == ["project_manager", "staff"] and tokens["subject"] == account["id"]
    assert _claims(world.platform, tokens["access_token"])["proj"] == {world.project_id: sorted(PROJECT_FUNCTIONS)}


def test_the_same_call_again_creates_nothing_and_keeps_the_password(world: World) -> None:
    first = world.appoint({"account": NEW_ACCOUNT})
    assert first.status_code == 200, first.get_json()
    again = world.appoint({"account": {**NEW_ACCOUNT, "password": "another secret 7"}})
    assert again.status_code == 200, again.get_json()
    assert again.get_json() == first.get_json()  # the same account, the same appointment (its time included)
    assert (world.count(ACCOUNTS), world.count(MANAGERS)) == (1, 1)
    assert world.audits("account.created") == world.audits("delegation.manager_appointed") == 1
    assert world.platform.password_login(f"pm.zhang@{GC[0]}", PASSWORD).status_code == 200
    assert world.platform.password_login(f"pm.zhang@{GC[0]}", "another secret 7").status_code == 401


def test_two_identical_calls_at_the_same_moment_make_one_account_and_one_appointment(world: World) -> None:
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: world.appoint({"account": NEW_ACCOUNT}), range(2)))
    assert [a.status_code for a in answers] == [200, 200], [a.get_json() for a in answers]
    assert answers[0].get_json()["account"]["id"] == answers[1].get_json()["account"]["id"]
    assert (world.count(ACCOUNTS), world.count(MANAGERS)) == (1, 1)
    assert world.audits("account.created") == world.audits("delegation.manager_appointed") == 1


def test_naming_both_an_account_id_and_a_new_account_is_refused(world: World) -> None:
    staff = world.platform.client.post("/api/v1/auth/accounts", headers=bearer(world.gc), json={
        "username": "clerk.lin", "display_name": "林文员", "password": PASSWORD}).get_json()["id"]
    for body in ({"account_id": staff, "account": NEW_ACCOUNT}, {}):
        refused = world.appoint(body)
        assert refused.status_code == 422 and refused.get_json()["reason"] == "account_id_or_account", body
        assert refused.mimetype == "application/problem+json"
    assert (world.count(ACCOUNTS), world.count(MANAGERS)) == (1, 0)


def test_a_new_account_is_validated_as_account_creation_validates_it(world: World) -> None:
    weak = world.appoint({"account": {**NEW_ACCOUNT, "password": "password12"}})
    assert weak.status_code == 422 and weak.get_json()["reason"] == "weak_password"
    bad = world.appoint({"account": {**NEW_ACCOUNT, "username": "王 经理", "phone": "12345"}})
    assert bad.status_code == 422 and {e["field"] for e in bad.get_json()["errors"]} == {
        "account.username", "account.phone"}
    assert (world.count(ACCOUNTS), world.count(MANAGERS)) == (0, 0)


def test_a_user_name_of_another_enterprise_is_free_for_its_own_project_account(world: World) -> None:
    assert world.appoint({"account": NEW_ACCOUNT}).status_code == 200
    other, _ = world.platform.enterprise(*OTHER_GC, "general_contractor")
    theirs = world.appoint({"account": NEW_ACCOUNT}, token=other,
                           project_id=world.platform.project(other, "SH-2026/0002"))  # its own (R21)
    assert theirs.status_code == 200, theirs.get_json()
    assert theirs.get_json()["account"]["login"] == f"pm.zhang@{OTHER_GC[0]}"
    assert (world.count(ACCOUNTS), world.count(MANAGERS)) == (2, 2)


def test_a_labour_enterprise_makes_no_project_account(world: World) -> None:
    labour, _ = _enterprise(world.platform, *LABOUR, "labour")
    refused = world.appoint({"account": NEW_ACCOUNT}, token=labour)
    assert refused.status_code == 403
    assert world.count(ACCOUNTS) == 0


def test_when_the_appointment_fails_the_account_is_not_made_either(world: World,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the appointment fails after the account was added")

    monkeypatch.setattr(delegation, "appoint", failing)
    assert world.appoint({"account": NEW_ACCOUNT}).status_code == 500
    assert world.count(ACCOUNTS) == world.audits("account.created") == 0  # one transaction: all or nothing


def test_appointing_an_existing_account_answers_it_and_a_reappointment_changes_nothing(world: World) -> None:
    staff = world.platform.client.post("/api/v1/auth/accounts", headers=bearer(world.gc), json={
        "username": "pm.chen", "display_name": "陈经理", "password": PASSWORD}).get_json()
    first = world.appoint({"account_id": staff["id"]})
    assert first.status_code == 200 and first.get_json()["account"] == staff
    assert world.appoint({"account_id": staff["id"]}).get_json() == first.get_json()
    assert world.audits("delegation.manager_appointed") == 1
