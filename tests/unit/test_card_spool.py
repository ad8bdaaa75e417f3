"""The card spool keeps every read until the broker has confirmed it, across restarts, readable only by its owner."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from realname_edge.spool import CardSpool

PAYLOAD = {"name": "王测试", "id_number": "510104199006013159", "photo": "AAEC", "valid_to": None}


@pytest.fixture
def spool(tmp_path: Path) -> CardSpool:
    return CardSpool(tmp_path / "spool.sqlite3")


def test_added_reads_are_pending_oldest_first_with_their_payload(spool: CardSpool) -> None:
    for n in range(3):
        spool.add(f"read-{n}", PAYLOAD | {"n": n})

    pending = spool.pending(10)

    assert [read.read_id for read in pending] == ["read-0", "read-1", "read-2"]
    assert pending[1].payload == PAYLOAD | {"n": 1}
    assert spool.count() == 3


def test_pending_gives_at_most_the_limit_oldest_first(spool: CardSpool) -> None:
    for n in range(5):
        spool.add(f"read-{n}", PAYLOAD)

    assert [read.read_id for read in spool.pending(2)] == ["read-0", "read-1"]


def test_confirmed_reads_leave_the_spool_and_the_others_stay(spool: CardSpool) -> None:
    for n in range(4):
        spool.add(f"read-{n}", PAYLOAD)

    spool.confirmed(["read-1", "read-3", "read-never-added"])

    assert [read.read_id for read in spool.pending(10)] == ["read-0", "read-2"]
    assert spool.count() == 2


def test_adding_a_read_twice_keeps_one_copy_the_first(spool: CardSpool) -> None:
    spool.add("read-1", PAYLOAD, datetime(2026, 1, 15, 8, 0, tzinfo=UTC))
    spool.add("read-1", PAYLOAD | {"name": "李其他"}, datetime(2026, 1, 15, 9, 0, tzinfo=UTC))

    (read,) = spool.pending(10)
    assert read.payload["name"] == "王测试"
    assert read.read_at == "2026-01-15T08:00:00+00:00"
    assert spool.count() == 1


def test_the_moment_of_a_read_is_kept_in_utc(spool: CardSpool) -> None:
    before = datetime.now(UTC)
    spool.add("read-1", PAYLOAD)

    (read,) = spool.pending(1)
    assert before <= datetime.fromisoformat(read.read_at) <= datetime.now(UTC)


def test_a_spool_opened_again_on_the_same_file_still_has_the_unconfirmed_reads(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    with CardSpool(path) as first:
        first.add("read-1", PAYLOAD)
        first.add("read-2", PAYLOAD)
        first.confirmed(["read-1"])

    with CardSpool(path) as reopened:
        assert [read.read_id for read in reopened.pending(10)] == ["read-2"]
        assert reopened.pending(10)[0].payload == PAYLOAD


def test_a_spooled_read_shows_no_personal_data_in_logs(spool: CardSpool) -> None:
    spool.add("read-1", PAYLOAD)

    shown = repr(spool.pending(1)[0])

    assert "read-1" in shown
    assert "王测试" not in shown and "510104" not in shown


@pytest.mark.skipif(sys.platform == "win32", reason="Windows protects the file by the profile's ACLs, not modes")
def test_the_spool_file_is_readable_and_writable_by_its_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o000)  # even a permissive umask must not open the personal data to others
    try:
        spool = CardSpool(tmp_path / "profile" / "realname-edge" / "spool.sqlite3")
        spool.add("read-1", PAYLOAD)
    finally:
        os.umask(old)

    for path in (spool.path, spool.path.with_name(spool.path.name + "-wal")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (spool.path.parent, spool.path.parent.parent):  # the folders it made: not even listable
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_the_reads_an_older_reader_left_in_its_card_reads_table_are_kept_in_order_in_the_shared_spool(
        tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    with sqlite3.connect(path) as old:  # the table as the reader before the shared spool made it
        old.execute("CREATE TABLE card_reads (seq INTEGER PRIMARY KEY AUTOINCREMENT, read_id TEXT NOT NULL UNIQUE, "
                    "read_at TEXT NOT NULL, payload TEXT NOT NULL)")
        old.executemany("INSERT INTO card_reads (read_id, read_at, payload) VALUES (?, ?, ?)",
                        [(f"old-{n}", f"2026-01-15T08:0{n}:00+00:00", json.dumps(PAYLOAD | {"n": n})) for n in (2, 1)])
    old.close()

    with CardSpool(path) as spool:
        spool.add("new-1", PAYLOAD)
        pending = spool.pending(10)

    assert [read.read_id for read in pending] == ["old-2", "old-1", "new-1"]
    assert pending[0].payload == PAYLOAD | {"n": 2} and pending[0].read_at == "2026-01-15T08:02:00+00:00"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'card_reads'").fetchall() == []
