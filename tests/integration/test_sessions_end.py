"""Sessions end when they should (R31, R32), at the gateway, on real PostgreSQL.

A revoked certificate's refresh token no longer refreshes, and the revocation ends every session of the
certificate; a new revocation list does so by itself, without waiting for a refresh. A logout, a disabled account
and a delegation taken back refuse the access tokens already out within seconds, not when they expire; a refresh
after a delegation was taken back gives a token without it. (That every service refuses them too, in both modes,
is tests/e2e/test_sessions_end_everywhere.py.)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from realname_gateway.certs.devca import revoke
from realname_gateway.certs.revocations import watch_revocation_lists
from realname_kit.settings import Settings
from tests.support.platform import Platform, bearer, build_platform
from tests.support.stack import Stack, eventually

GC = ("9131000013221158XC", "上海建工集团")
LABOUR = ("91350100M000100Y43", "福建劳务有限公司")
PASSWORD = "correct horse 42"
WITHIN = 5.0  # seconds: a session's end holds everywhere within this (the bound)


@pytest.fixture
def platform(stack: Stack) -> Platform:
    return build_platform(stack)


def refresh(platform: Platform, tokens: dict[str, Any]) -> Any:
    return platform.client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


def me(platform: Platform, tokens: dict[str, Any]) -> Any:
    return platform.client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"]))


def refused_within(call: Any, reason: str = "token_revoked") -> float:
    """Seconds until ``call()`` answers 401 ``reason``; fails after ``WITHIN``."""
    started = time.monotonic()

    def refused() -> bool:
        response = call()
        return bool(response.status_code == 401 and response.get_json()["reason"] == reason)
    eventually(refused, timeout=WITHIN, interval=0.05)
    return time.monotonic() - started


def denials_published(platform: Platform) -> list[dict[str, Any]]:
    with platform.stack.db("gateway").engine.connect() as conn:
        rows = conn.execute(text("SELECT payload FROM outbox WHERE type = 'access.denied' ORDER BY seq")).all()
    return [json.loads(r.payload)["data"] for r in rows]


def staff(platform: Platform, enterprise_token: str, username: str) -> str:
    created = platform.client.post("/api/v1/auth/accounts", headers=bearer(enterprise_token),
                                   json={"username": username, "display_name": "王五", "password": PASSWORD})
    assert created.status_code == 201, created.get_json()
    return str(created.get_json()["id"])


def test_a_refresh_after_the_certificate_was_revoked_is_refused_and_ends_all_its_sessions(platform: Platform) -> None:
    certificate = platform.certificate(*LABOUR)
    first = platform.certificate_login(certificate, "labour").get_json()
    second = platform.certificate_login(certificate).get_json()  # the same certificate, another session
    rotated = refresh(platform, first)
    assert rotated.status_code == 200  # in good standing, it refreshes
    revoke(platform.ca_dir, certificate[0].encode())

    refused = refresh(platform, rotated.get_json())
    assert refused.status_code == 401 and refused.get_json()["reason"] == "certificate_revoked"
    assert "吊销" in refused.get_json()["message_zh"]
    assert refresh(platform, second).get_json()["reason"] == "refresh_token_invalid"  # its other session ended too
    refused_within(lambda: me(platform, second))
    refused_within(lambda: me(platform, rotated.get_json()))
    [denied] = denials_published(platform)
    assert denied["claim"] == "sub" and denied["below_version"] is None  # every token of that certificate
    assert platform.stack.count("gateway", "SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL") == 1


@pytest.fixture
def watching(stack: Stack) -> Iterator[None]:
    """The gateway relay's watch on the revocation list, as it runs beside the relay."""
    stop = threading.Event()
    thread = threading.Thread(target=watch_revocation_lists, args=(Settings.from_env(stack.env()),
                                                                   stack.db("gateway"), stop), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


def test_a_new_revocation_list_ends_the_certificates_sessions_by_itself_within_seconds(
        platform: Platform, watching: None) -> None:
    revoked, kept = platform.certificate(*LABOUR), platform.certificate(*LABOUR, operator="李四")
    session, other = (platform.certificate_login(revoked, "labour").get_json(),
                      platform.certificate_login(kept).get_json())
    assert me(platform, session).status_code == 200
    revoke(platform.ca_dir, revoked[0].encode())  # the CA's new list arrives; nobody refreshes

    took = refused_within(lambda: me(platform, session))
    print(f"a revoked certificate's access token refused after {took:.2f} s")
    assert refresh(platform, session).get_json()["reason"] == "refresh_token_invalid"
    assert me(platform, other).status_code == 200 and refresh(platform, other).status_code == 200  # its colleague's


def test_after_a_logout_the_access_token_is_refused_within_seconds(platform: Platform) -> None:
    session = platform.certificate_login(platform.certificate(*LABOUR), "labour").get_json()
    other = platform.certificate_login(platform.certificate(*LABOUR)).get_json()
    assert platform.client.post("/api/v1/auth/logout", json={"refresh_token": session["refresh_token"]}).status_code \
        == 204
    took = refused_within(lambda: me(platform, session))
    print(f"a logged-out access token refused after {took:.2f} s")
    assert me(platform, other).status_code == 200  # only that session ended
    [denied] = denials_published(platform)
    assert denied["claim"] == "sid" and denied["value"] and denied["expires_at"]


def test_a_disabled_accounts_access_token_is_refused_within_seconds(platform: Platform) -> None:
    enterprise = platform.enterprise_token(*LABOUR, "labour")
    account_id = staff(platform, enterprise, "sun.qi")
    session = platform.password_login(f"sun.qi@{LABOUR[0]}", PASSWORD).get_json()
    assert me(platform, session).status_code == 200
    disabled = platform.client.patch(f"/api/v1/auth/accounts/{account_id}", headers=bearer(enterprise),
                                     json={"disabled": True})
    assert disabled.status_code == 200
    took = refused_within(lambda: me(platform, session))
    print(f"a disabled account's access token refused after {took:.2f} s")
    assert refresh(platform, session).status_code == 401
    enabled = platform.client.patch(f"/api/v1/auth/accounts/{account_id}", headers=bearer(enterprise),
                                    json={"disabled": False})
    assert enabled.status_code == 200
    again = platform.password_login(f"sun.qi@{LABOUR[0]}", PASSWORD).get_json()
    assert me(platform, again).status_code == 200  # a new login


def test_a_delegation_taken_back_refuses_the_token_that_held_it_and_a_refresh_gives_one_without_it(
        platform: Platform) -> None:
    gc, _ = platform.enterprise(*GC, "general_contractor")
    project = platform.project(gc, "SH-2026/0101")  # its own: it takes part in it (R21)
    manager_id, clerk_id = staff(platform, gc, "pm.chen"), staff(platform, gc, "clerk.lin")
    assert platform.client.put(f"/api/v1/auth/projects/{project}/manager", headers=bearer(gc),
                               json={"account_id": manager_id}).status_code == 200
    manager = platform.password_login(f"pm.chen@{GC[0]}", PASSWORD).get_json()
    granted = platform.client.post(f"/api/v1/auth/projects/{project}/delegations",
                                   headers=bearer(manager["access_token"]),
                                   json={"account_id": clerk_id, "functions": ["confirm_entry"]})
    clerk = platform.password_login(f"clerk.lin@{GC[0]}", PASSWORD).get_json()
    assert me(platform, clerk).get_json()["projects"] == {project: ["confirm_entry"]}

    delegation_id = granted.get_json()["items"][0]["id"]
    assert platform.client.delete(f"/api/v1/auth/projects/{project}/delegations/{delegation_id}",
                                  headers=bearer(manager["access_token"])).status_code == 204
    took = refused_within(lambda: me(platform, clerk))
    print(f"an access token holding a delegation taken back refused after {took:.2f} s")
    renewed = refresh(platform, clerk)
    assert renewed.status_code == 200  # the session goes on, with what is left
    assert me(platform, renewed.get_json()).get_json()["projects"] == {}
    assert me(platform, manager).status_code == 200  # the manager's rights did not change


def test_a_replaced_project_manager_loses_the_projects_functions_within_seconds(platform: Platform) -> None:
    gc, _ = platform.enterprise(*GC, "general_contractor")
    project = platform.project(gc, "SH-2026/0102")  # its own: it takes part in it (R21)
    first, second = staff(platform, gc, "pm.chen"), staff(platform, gc, "pm.zhao")
    assert platform.client.put(f"/api/v1/auth/projects/{project}/manager", headers=bearer(gc),
                               json={"account_id": first}).status_code == 200
    manager = platform.password_login(f"pm.chen@{GC[0]}", PASSWORD).get_json()
    assert project in me(platform, manager).get_json()["projects"]
    assert platform.client.put(f"/api/v1/auth/projects/{project}/manager", headers=bearer(gc),
                               json={"account_id": second}).status_code == 200
    refused_within(lambda: me(platform, manager))
    assert me(platform, refresh(platform, manager).get_json()).get_json()["projects"] == {}
