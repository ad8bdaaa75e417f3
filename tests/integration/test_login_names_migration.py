"""Accounts made before user names were per tenant keep logging in by their name alone after the migration, on
PostgreSQL and on SQLite (all-in-one)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from realname_gateway.auth.login import find_account
from realname_kit.db import Database
from realname_kit.migrate import upgrade
from realname_kit.service import load_spec
from realname_kit.settings import Settings
from tests.support.stack import Stack

BEFORE = "2f38ee8c378d"  # names unique platform-wide
USCC = "91350100M000100Y43"


def _migrated_with_old_accounts(url: str) -> Database:
    spec = load_spec("gateway")
    upgrade(spec, url, BEFORE)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO enterprises VALUES ('e-1', :uscc, '福建劳务有限公司', 'labour')"),
                     {"uscc": USCC})
        conn.execute(text(
            "INSERT INTO accounts (id, username, kind, enterprise_id, display_name, password_hash, disabled, "
            "failed_logins, created_at) VALUES ('a-staff', 'zhao.liu', 'staff', 'e-1', '赵六', 'h', false, 0, "
            ":at), ('a-reg', 'inspector.he', 'regulator', NULL, '何监督', 'h', false, 0, :at)"),
            {"at": "2026-11-30 00:00:00+00:00"})
    upgrade(spec, url)
    return db


def _logins(db: Database) -> dict[str, str | None]:
    with db.transaction() as session:
        found = {name: find_account(session, name) for name in
                 ("zhao.liu", f"zhao.liu@{USCC}", "inspector.he", f"inspector.he@{USCC}")}
        return {name: account.id if account else None for name, account in found.items()}


EXPECTED = {"zhao.liu": "a-staff", f"zhao.liu@{USCC}": "a-staff", "inspector.he": "a-reg",
            f"inspector.he@{USCC}": None}


def test_old_accounts_log_in_by_name_alone_and_staff_by_name_at_credit_code_on_postgresql(stack: Stack) -> None:
    db = _migrated_with_old_accounts(stack.settings.database_url_for("gateway"))
    try:
        assert _logins(db) == EXPECTED
    finally:
        db.dispose()


def test_old_accounts_log_in_by_name_alone_and_staff_by_name_at_credit_code_on_sqlite(tmp_path: Path) -> None:
    db = _migrated_with_old_accounts(Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path)})
                                     .database_url_for("gateway"))
    try:
        assert _logins(db) == EXPECTED
    finally:
        db.dispose()
