"""User names belong to a tenant: creating one tells nothing of other enterprises' or the regulators' names;
staff log in as ``name@credit-code``; weak passwords are refused. On real PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest

from realname_codes.roles import REGULATOR
from realname_gateway.auth.accounts import create_account
from tests.support.platform import Platform, bearer, build_platform
from tests.support.stack import Stack

LABOUR = ("91350100M000100Y43", "福建劳务有限公司")
GC = ("9131000013221158XC", "上海建工集团")
PASSWORD = "correct horse 42"
ACCOUNTS = "SELECT count(*) FROM accounts"


@pytest.fixture
def platform(stack: Stack) -> Platform:
    return build_platform(stack)


def _create(platform: Platform, token: str, username: str, password: str = PASSWORD) -> Any:
    return platform.client.post("/api/v1/auth/accounts", headers=bearer(token),
                                json={"username": username, "display_name": "王五", "password": password})


def test_a_name_taken_in_another_enterprise_is_free_and_each_account_logs_in_with_its_credit_code(
        platform: Platform) -> None:
    labour, gc = platform.enterprise_token(*LABOUR, "labour"), platform.enterprise_token(*GC, "general_contractor")
    first = _create(platform, labour, "wang.wu")
    second = _create(platform, gc, "wang.wu")
    assert (first.status_code, second.status_code) == (201, 201), second.get_json()
    assert [first.get_json()["login"], second.get_json()["login"]] == [f"wang.wu@{LABOUR[0]}", f"wang.wu@{GC[0]}"]
    theirs = {platform.password_login(f"wang.wu@{code}", PASSWORD).get_json()["enterprise_id"]
              for code in (LABOUR[0], GC[0].lower())}  # the credit code in either case
    assert len(theirs) == 2
    again = _create(platform, labour, "wang.wu")  # in one's own enterprise the name is still taken
    assert again.status_code == 409 and again.get_json()["reason"] == "username_taken"
    assert platform.password_login("wang.wu", PASSWORD).status_code == 401  # new staff log in with the code only


def test_a_regulators_name_is_free_for_staff_and_the_regulator_still_logs_in_by_name(platform: Platform) -> None:
    ctx = platform.client.application.extensions["realname_auth"]
    create_account(ctx, None, username="inspector.he", display_name="何监督", password=PASSWORD, kind=REGULATOR)
    labour = platform.enterprise_token(*LABOUR, "labour")
    staff = _create(platform, labour, "inspector.he")
    assert staff.status_code == 201, staff.get_json()
    assert platform.password_login("inspector.he", PASSWORD).get_json()["roles"] == ["regulator"]
    assert platform.password_login(f"inspector.he@{LABOUR[0]}", PASSWORD).get_json()["roles"] == ["staff"]


@pytest.mark.parametrize(("password", "weakness"), [
    ("password12", "common"), ("Password2026!", "common"), ("short1!", "too_short"),
    ("wang.wu.2026!", "contains_name"), ("13812345678", "digits_only"), ("qwer1234asdf", "pattern")])
def test_a_weak_password_is_refused_with_what_makes_a_good_one(platform: Platform, password: str,
                                                               weakness: str) -> None:
    labour = platform.enterprise_token(*LABOUR, "labour")
    refused = _create(platform, labour, "wang.wu", password)
    body = refused.get_json()
    assert refused.status_code == 422 and body["reason"] == "weak_password" and body["weakness"] == weakness
    assert re.search(r"[\u4e00-\u9fff]", body["message_zh"]) and "10" in body["message"]
    assert platform.stack.count("gateway", ACCOUNTS) == 0
