"""Wrong passwords lock out the address they come from, and never the account's owner elsewhere; on PostgreSQL,
shared by every gateway process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from realname_gateway.auth.lockout import ACCOUNT_FREE_FAILURES, FREE_FAILURES, MAX_SLOW_SECONDS
from realname_gateway.auth.login_failures import ACCOUNT_WIDE
from realname_kit.timeutil import utcnow
from tests.support.platform import Platform, bearer, build_platform
from tests.support.stack import Stack

LABOUR = ("91350100M000100Y43", "福建劳务有限公司")
PASSWORD = "correct horse 42"
WRONG = "wrong password 1"
OWNER_HOME, ATTACKER, NEW_PLACE = "198.51.100.7", "203.0.113.9", "192.0.2.50"
LOCKS = "SELECT count(*) FROM outbox WHERE type = 'audit.recorded' AND payload LIKE '%auth.login.locked%' " \
        "AND payload LIKE :scope"


@pytest.fixture
def platform(stack: Stack) -> Platform:
    return build_platform(stack)


@pytest.fixture
def login(platform: Platform) -> str:
    """A staff account's login (``name@credit-code``)."""
    token = platform.enterprise_token(*LABOUR, "labour")
    made = platform.client.post("/api/v1/auth/accounts", headers=bearer(token),
                                json={"username": "zhao.liu", "display_name": "赵六", "password": PASSWORD})
    assert made.status_code == 201, made.get_json()
    name: str = made.get_json()["login"]
    return name


def _without_instance(answer: Any) -> dict[str, Any]:
    return {k: v for k, v in answer.get_json().items() if k not in ("correlation_id", "retry_after")}


def test_wrong_passwords_lock_out_their_address_while_the_owner_logs_in_from_elsewhere(
        platform: Platform, login: str) -> None:
    for _ in range(FREE_FAILURES + 1):
        assert platform.password_login(login, WRONG, ATTACKER).status_code == 401
    locked = platform.password_login(login, PASSWORD, ATTACKER)  # the right password, from the locked-out address
    assert locked.status_code == 401 and locked.get_json()["reason"] == "login_failed"
    assert 0 < locked.get_json()["retry_after"] <= 30
    assert platform.password_login(login, PASSWORD, OWNER_HOME).status_code == 200
    # one try per lock period keeps only the attacker's own address locked
    with platform.stack.db("gateway").transaction() as session:
        session.execute(text("UPDATE login_failures SET locked_until = now() WHERE source = :a"), {"a": ATTACKER})
    again = platform.password_login(login, WRONG, ATTACKER)
    assert 30 < again.get_json()["retry_after"] <= 60  # the lock doubled
    assert platform.password_login(login, PASSWORD, OWNER_HOME).status_code == 200
    assert platform.stack.count("gateway", LOCKS, scope='%"address"%') == 2


def test_a_name_nobody_has_is_locked_out_alike_so_the_answers_tell_nobody_who_exists(
        platform: Platform, login: str) -> None:
    answers = {}
    for name in (login, "nobody.here@" + LABOUR[0]):
        for _ in range(FREE_FAILURES):
            platform.password_login(name, WRONG, ATTACKER)
        answers[name] = platform.password_login(name, WRONG, ATTACKER)
    known, unknown = answers.values()
    assert known.status_code == unknown.status_code == 401
    assert _without_instance(known) == _without_instance(unknown)
    assert known.get_json()["retry_after"] > 0 and unknown.get_json()["retry_after"] > 0


def test_guessing_from_many_addresses_slows_new_addresses_down_but_never_the_owners_usual_one(
        platform: Platform, login: str, monkeypatch: pytest.MonkeyPatch) -> None:
    now = utcnow()  # the logins' clock stands still: the first slow-down (2 s) must not pass while hashing
    monkeypatch.setattr("realname_gateway.auth.login.utcnow", lambda: now)
    assert platform.password_login(login, PASSWORD, OWNER_HOME).status_code == 200  # the owner's usual address
    for i in range(ACCOUNT_FREE_FAILURES):
        assert platform.password_login(login, WRONG, f"203.0.113.{i}").status_code == 401
    slowed = platform.password_login(login, PASSWORD, NEW_PLACE)  # the right password from a new address waits
    assert slowed.status_code == 401 and 0 < slowed.get_json()["retry_after"] <= MAX_SLOW_SECONDS
    assert platform.password_login(login, PASSWORD, OWNER_HOME).status_code == 200
    assert platform.stack.count("gateway", LOCKS, scope='%"account"%') == 1


def test_failures_through_several_gateway_processes_count_together(platform: Platform, login: str) -> None:
    other = build_platform(platform.stack)  # a second gateway process on the same database
    for i in range(FREE_FAILURES):
        (platform if i % 2 else other).password_login(login, WRONG, ATTACKER)
    assert platform.password_login(login, PASSWORD, ATTACKER).status_code == 401
    assert other.password_login(login, PASSWORD, ATTACKER).status_code == 401


def test_concurrent_failures_are_each_counted(platform: Platform, login: str) -> None:
    app = platform.client.application

    def guess(i: int) -> int:
        return app.test_client().post("/api/v1/auth/login/password", json={"username": login, "password": WRONG},
                                      environ_base={"REMOTE_ADDR": f"203.0.113.{i}"}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(guess, range(6))) == [401] * 6
    failures = "SELECT failures FROM login_failures WHERE source = :s"
    assert platform.stack.count("gateway", failures, s=ACCOUNT_WIDE) == 6
