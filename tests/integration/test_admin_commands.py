"""Operator commands: regulator accounts made by command, personal-data key rotation."""

from __future__ import annotations

import io

import pytest

from realname_kit.privacy.keyring import Keyring, key_id
from realname_launcher.cli import main
from tests.support.platform import Platform, bearer, build_platform
from tests.support.stack import Stack

PASSWORD = "correct horse 42"


@pytest.fixture
def platform(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Platform:
    for name, value in stack.env().items():
        if name.startswith("REALNAME_"):
            monkeypatch.setenv(name, value)
    return build_platform(stack)


def test_a_regulator_made_by_command_logs_in_and_reads_what_regulators_read(
        platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["admin", "create-regulator", "--username", "inspector.he", "--display-name", "何监督",
                 "--password-stdin"]) == 0
    login = platform.password_login("inspector.he", PASSWORD).get_json()
    assert login["roles"] == ["regulator"]
    directory = platform.client.get("/api/v1/reporting/enterprises", headers=bearer(login["access_token"]))
    assert directory.status_code == 200


def test_rotating_the_data_key_re_encrypts_every_phone_which_still_reads_the_same(platform: Platform) -> None:
    token = platform.enterprise_token("91350100M000100Y43", "福建劳务有限公司", "labour")
    account = platform.client.post("/api/v1/auth/accounts", headers=bearer(token), json={
        "username": "wang.wu", "display_name": "王五", "password": PASSWORD, "phone": "13812345678"}).get_json()
    old = Keyring.from_settings(platform.stack.settings).active
    assert main(["admin", "rotate-data-key"]) == 0
    new = Keyring.from_settings(platform.stack.settings).active
    assert new != old
    with platform.stack.db("gateway").engine.connect() as conn:
        from sqlalchemy import text
        stored = [r[0] for r in conn.execute(text("SELECT phone_enc FROM accounts"))]
    assert [key_id(v) for v in stored] == [new]
    platform.client.application.extensions["realname_auth"].__dict__.pop("keyring", None)  # reload the keyring
    shown = platform.client.get(f"/api/v1/auth/accounts/{account['id']}?reveal=phone&reason=核对",
                                headers=bearer(token)).get_json()
    assert shown.get("phone") == "13812345678", shown
