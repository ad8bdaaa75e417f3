"""Operator commands: regulator accounts made by command, personal-data key rotation; each on the running
platform's own databases (all-in-one's SQLite files, distributed mode's PostgreSQL), never on new ones."""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from realname_kit.db import ensure_database
from realname_kit.privacy.keyring import Keyring, key_id
from realname_launcher.cli import main
from tests.support.infra import postgres_server_url
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


def test_a_regulator_with_a_weak_password_is_refused_and_not_made(
        platform: Platform, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("password12\n"))
    assert main(["admin", "create-regulator", "--username", "inspector.he", "--display-name", "何监督",
                 "--password-stdin"]) == 2
    said = capsys.readouterr().err
    assert "stronger password" in said and "密码太弱" in said
    assert platform.stack.count("gateway", "SELECT count(*) FROM accounts") == 0


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


REGULATOR = ["create-regulator", "--username", "inspector.he", "--display-name", "何监督", "--password-stdin"]


def only_settings(monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    """The operator's shell: these REALNAME_* settings and no other."""
    for name in [n for n in os.environ if n.startswith("REALNAME_")]:
        monkeypatch.delenv(name)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)


def admin(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    return main(["admin", *args])


def postgres_has(url: str) -> bool:
    parsed = make_url(url)
    engine = create_engine(parsed.set(database="postgres"))
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                {"n": parsed.database}).first() is not None
    finally:
        engine.dispose()


def test_in_all_in_one_mode_a_regulator_goes_into_the_platforms_sqlite_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    only_settings(monkeypatch, REALNAME_DATA_DIR=str(tmp_path / "var"))
    assert main(["migrate"]) == 0  # what `./realname up` does first

    assert admin(monkeypatch, *REGULATOR) == 0

    with sqlite3.connect(tmp_path / "var" / "gateway.db") as conn:
        assert conn.execute("SELECT kind FROM accounts WHERE username = 'inspector.he'").fetchall() == [("regulator",)]
    keyring = tmp_path / "var" / "keys" / "data-keys.json"
    keyring.unlink()
    assert admin(monkeypatch, "rotate-data-key") == 2  # a new keyring would lose every protected value
    assert not keyring.exists()


def test_where_no_platform_ran_every_operator_command_refuses_and_creates_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    only_settings(monkeypatch, REALNAME_DATA_DIR=str(tmp_path / "var"))
    commands = [REGULATOR, ["create-admin", "--username", "root.li", "--display-name", "李", "--password-stdin"],
                ["register-enterprise", "--name", "某公司", "--uscc", "91350100M000100Y43", "--kind", "labour"],
                ["rotate-data-key"]]

    for command in commands:
        assert admin(monkeypatch, *command) == 2, command
        told = capsys.readouterr().err
        assert "does not create one" in told and "不会新建" in told and "admin --distributed" in told, told

    assert not (tmp_path / "var").exists()


def test_admin_distributed_finds_the_databases_of_up_distributed(
        stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    stack.migrate("gateway")
    only_settings(monkeypatch, REALNAME_DATA_DIR=str(stack.data_dir),
                  REALNAME_DATABASE_PREFIX=stack.settings.database_prefix)
    # `up --distributed` and `admin --distributed` share their defaults: here, the test's PostgreSQL.
    monkeypatch.setattr("realname_launcher.cli.LOCAL_POSTGRES", postgres_server_url())

    assert admin(monkeypatch, *REGULATOR) == 2  # without --distributed: all-in-one's file, which is not there
    assert "gateway.db" in capsys.readouterr().err
    assert not (stack.data_dir / "gateway.db").exists()
    assert admin(monkeypatch, "--distributed", *REGULATOR) == 0

    assert stack.count("gateway", "SELECT count(*) FROM accounts WHERE username = 'inspector.he'") == 1


def test_on_postgresql_a_missing_or_unmigrated_database_is_refused_and_never_made(
        stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    only_settings(monkeypatch, REALNAME_DATA_DIR=str(stack.data_dir), REALNAME_DATABASE_URL=postgres_server_url(),
                  REALNAME_DATABASE_PREFIX=stack.settings.database_prefix)
    gateway = stack.settings.database_url_for("gateway")

    assert admin(monkeypatch, *REGULATOR) == 2
    assert "There is no gateway database" in capsys.readouterr().err
    assert not postgres_has(gateway)

    ensure_database(gateway)  # there, but never migrated
    assert admin(monkeypatch, *REGULATOR) == 2
    told = capsys.readouterr().err
    assert "./realname migrate" in told and "迁移" in told, told
