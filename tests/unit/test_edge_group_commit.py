"""The bridge's shared commits: writes from many threads all land, in fewer commits than writes, and a write that
fails fails alone."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from realname_edge.group_commit import GroupCommit, Step
from realname_edge.spooling import Spool

SCHEMA = "CREATE TABLE IF NOT EXISTS notes (n INTEGER NOT NULL)"


class CountingSpool(Spool):
    def __init__(self, path: Path) -> None:
        self.commits = 0
        super().__init__(path, schema=[SCHEMA])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.commits += 1
        with super().transaction() as db:
            yield db


def note(n: int) -> Step:
    def step(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO notes (n) VALUES (?)", (n,))
    return step


def test_writes_from_many_threads_all_land_in_fewer_commits_than_writes(tmp_path: Path) -> None:
    spool = CountingSpool(tmp_path / "spool.db")
    commits, start = GroupCommit(spool), threading.Barrier(8)
    before = spool.commits

    def writer(first: int) -> None:
        start.wait()
        for n in range(first, first + 25):
            commits.write(note(n))
    threads = [threading.Thread(target=writer, args=(t * 100,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    landed = sorted(n for (n,) in spool.query("SELECT n FROM notes"))
    assert landed == sorted(t * 100 + k for t in range(8) for k in range(25))
    assert spool.commits - before < 200


def test_a_write_that_fails_in_a_shared_commit_raises_to_its_own_writer_and_the_others_land(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", schema=[SCHEMA])
    commits, release = GroupCommit(spool), threading.Event()
    failures: list[Exception] = []

    def slow(db: sqlite3.Connection) -> None:  # holds the first commit while the next two queue behind it
        release.wait(5)
        db.execute("INSERT INTO notes (n) VALUES (1)")

    def broken(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO no_such_table VALUES (1)")

    def failing() -> None:
        try:
            commits.write(broken)
        except sqlite3.OperationalError as exc:
            failures.append(exc)
    threads = [threading.Thread(target=commits.write, args=(slow,)), threading.Thread(target=failing),
               threading.Thread(target=commits.write, args=(note(3),))]
    threads[0].start()
    time.sleep(0.1)
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.1)
    release.set()
    for thread in threads:
        thread.join(5)

    assert sorted(spool.query("SELECT n FROM notes")) == [(1,), (3,)]
    assert len(failures) == 1
