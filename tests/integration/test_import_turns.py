"""Employers take turns on the import consumer (R10): whose job steps next, on PostgreSQL, with replicas."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, text

from realname_kit.db import Database
from realname_kit.timeutil import utcnow
from realname_registry.imports.turns import is_due
from realname_registry.models import ImportJob
from tests.support.stack import Stack


def job(db: Database, employer: str, *, served_minutes_ago: int | None = None, status: str = "queued") -> str:
    with db.transaction() as session:
        made = ImportJob(employer_id=employer, kind="workers", target=str(uuid.uuid4()), employer_role="labour",
                         sha256=uuid.uuid4().hex, filename="工人导入.xlsx", status=status, created_by="clerk",
                         stepped_at=None if served_minutes_ago is None
                         else utcnow() - timedelta(minutes=served_minutes_ago))
        session.add(made)
        session.flush()
        return made.id


def due(db: Database, *job_ids: str) -> list[str]:
    with db.transaction() as session:
        return [j for j in job_ids if is_due(session, j)]


def test_the_employer_served_longest_ago_goes_first_and_its_jobs_in_upload_order(stack: Stack) -> None:
    stack.migrate("registry")
    db = stack.db("registry")
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    a_first, a_second = job(db, a, served_minutes_ago=1), job(db, a)
    b_only = job(db, b, served_minutes_ago=5)
    assert due(db, a_first, a_second, b_only) == [b_only]
    c_new = job(db, c)
    assert due(db, a_first, a_second, b_only, c_new) == [c_new]  # never served: first
    job(db, c, served_minutes_ago=0, status="done")  # c was just served, by a job now done
    assert due(db, a_first, a_second, b_only, c_new) == [b_only]


def test_a_job_stepped_by_another_replica_is_skipped_and_looking_holds_no_lock(stack: Stack) -> None:
    stack.migrate("registry")
    db = stack.db("registry")
    busy, waiting = job(db, str(uuid.uuid4())), job(db, str(uuid.uuid4()), served_minutes_ago=1)
    with db.transaction() as replica:
        replica.scalars(select(ImportJob).where(ImportJob.id == busy).with_for_update()).one()
        assert due(db, busy, waiting) == [waiting]  # the busy job would come first, were it not being stepped
    with db.transaction() as looking:
        assert not is_due(looking, waiting)
        with db.transaction() as other:  # the due job was only looked at: another replica can take it at once
            other.execute(text("SET LOCAL lock_timeout = '1s'"))
            other.scalars(select(ImportJob).where(ImportJob.id == busy).with_for_update(nowait=True)).one()


def test_a_finished_jobs_step_is_never_held_back(stack: Stack) -> None:
    stack.migrate("registry")
    db = stack.db("registry")
    other = job(db, str(uuid.uuid4()))
    done = job(db, str(uuid.uuid4()), served_minutes_ago=0, status="done")
    assert due(db, done, other) == [done, other]


def test_a_job_that_took_no_step_for_a_quarter_of_an_hour_holds_nobody_back(stack: Stack) -> None:
    stack.migrate("registry")
    db = stack.db("registry")
    stalled = job(db, str(uuid.uuid4()), served_minutes_ago=20)  # its step was lost: it would be due for ever
    waiting = job(db, str(uuid.uuid4()), served_minutes_ago=1)
    assert due(db, stalled, waiting) == [stalled, waiting]  # and its own step, replayed, still runs
