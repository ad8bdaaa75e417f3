"""What the platform keeps on disk is its user's alone: files 0600, folders 0700, those made later too."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from realname_kit.private_files import keep_private


@pytest.fixture(autouse=True)
def restored_umask() -> Iterator[None]:
    old = os.umask(0o022)  # as a login shell usually leaves it
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_what_an_older_version_left_readable_becomes_private_and_links_are_left_alone(tmp_path: Path) -> None:
    var, elsewhere = tmp_path / "var", tmp_path / "elsewhere.txt"
    (var / "keys").mkdir(parents=True, mode=0o755)
    (var / "keys" / "data-keys.json").write_text("{}")
    (var / "registry.db").write_bytes(b"")
    elsewhere.write_text("not the platform's")
    (var / "link").symlink_to(elsewhere)
    keep_private(var)
    assert {mode(var), mode(var / "keys")} == {0o700}
    assert {mode(var / "keys" / "data-keys.json"), mode(var / "registry.db")} == {0o600}
    assert mode(elsewhere) == 0o644


def test_files_and_folders_made_afterwards_are_private_sqlite_journals_included(tmp_path: Path) -> None:
    var = tmp_path / "var"
    keep_private(var)
    (var / "dev-ca").mkdir()
    (var / "dead-letters.jsonl").write_text("{}\n")
    db = sqlite3.connect(var / "gateway.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (x)")
    db.execute("INSERT INTO t VALUES (1)")
    db.commit()
    try:
        assert mode(var / "dev-ca") == 0o700
        assert {mode(var / n) for n in ("dead-letters.jsonl", "gateway.db", "gateway.db-wal", "gateway.db-shm")} \
            == {0o600}
    finally:
        db.close()
