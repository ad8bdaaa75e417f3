"""The stores an operator command writes to: the running platform's own, found and never made.

An operator command that made its database when it found none wrote a regulator into a new SQLite file while
the platform ran on PostgreSQL, and the regulator could not log in. So a command looks the store up (the file,
the PostgreSQL database, its migrations at head) and refuses, in English and Chinese, what is not there.
"""

from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from realname_kit.migrate import alembic_config
from realname_kit.service import ServiceSpec

WHICH_PLATFORM = (
    "Run the command with the settings of the running platform: `./realname admin --distributed …` for "
    "`./realname up --distributed`, or the same REALNAME_DATABASE_URL and REALNAME_DATA_DIR it runs with.")
WHICH_PLATFORM_ZH = (
    "请使用正在运行的平台的设置运行本命令：平台以 `./realname up --distributed` 运行时用 "
    "`./realname admin --distributed …`，或使用平台运行时的 REALNAME_DATABASE_URL 和 REALNAME_DATA_DIR。")


class StoreMissing(Exception):
    """What the operator is told, in English and in Chinese."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message, self.message_zh = message, message_zh


def require_database(spec: ServiceSpec, url: str) -> None:
    """The service's database exists and is migrated to this version's head; StoreMissing otherwise."""
    parsed = make_url(url)
    where = parsed.database if parsed.get_backend_name() == "sqlite" else parsed.render_as_string(hide_password=True)
    if not _exists(url):
        raise StoreMissing(
            f"There is no {spec.name} database at {where}: no platform has run on these settings, and this "
            f"command does not create one. {WHICH_PLATFORM}",
            f"{where} 没有 {spec.name} 数据库：没有平台以这些设置运行过，本命令也不会新建数据库。{WHICH_PLATFORM_ZH}")
    current, head = _revisions(spec, url)
    if current != head:
        raise StoreMissing(
            f"The {spec.name} database at {where} is not migrated to this version (at {current or 'nothing'}, "
            f"this version needs {head}): run `./realname migrate` with the same settings first.",
            f"{where} 的 {spec.name} 数据库未迁移到当前版本：请先用相同的设置运行 `./realname migrate`。")


def require_file(path: Path, what: str, what_zh: str, setting: str) -> None:
    if not path.exists():
        raise StoreMissing(
            f"There is no {what} at {path}, and this command does not create one: point {setting} at the "
            f"platform's, or start the platform once (`./realname up`) to make a development one.",
            f"{path} 没有{what_zh}，本命令不会新建：请将 {setting} 指向平台所用的文件，或先启动一次平台"
            f"（`./realname up`）生成开发用的文件。")


def _exists(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return bool(parsed.database) and Path(parsed.database or "").exists()
    server = create_engine(parsed.set(database="postgres"))
    try:
        with server.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
            return found.first() is not None
    except OperationalError as exc:
        host = f"{parsed.host}:{parsed.port or 5432}"
        raise StoreMissing(
            f"PostgreSQL does not answer at {host} ({exc.orig}): start it, or correct REALNAME_DATABASE_URL.",
            f"{host} 上的 PostgreSQL 没有响应：请启动它，或更正 REALNAME_DATABASE_URL。") from None
    finally:
        server.dispose()


def _revisions(spec: ServiceSpec, url: str) -> tuple[str, str]:
    """(the database's revision, the head of the service's migrations), each heads joined by commas."""
    head = ",".join(sorted(ScriptDirectory.from_config(alembic_config(spec, url)).get_heads()))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            current = ",".join(sorted(MigrationContext.configure(conn).get_current_heads()))
    finally:
        engine.dispose()
    return current, head
