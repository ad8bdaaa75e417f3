"""The pruner on SQLite (all-in-one mode): the same batches over single and composite keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, insert, select

from realname_kit.bus.tables import messaging_tables
from realname_kit.db import Database
from realname_kit.idempotency import idempotency_table
from realname_kit.pruning import Pruner, Retention
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow

METADATA = MetaData()
OUTBOX, INBOX = messaging_tables(METADATA)
KEYS = idempotency_table(METADATA)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'prune.db'}")
    METADATA.create_all(database.engine)
    try:
        yield database
    finally:
        database.dispose()


def count(db: Database, table: object) -> int:
    with db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_old_rows_go_in_batches_and_recent_or_unpublished_ones_stay(db: Database) -> None:
    long_ago, lately = utcnow() - timedelta(days=60), utcnow() - timedelta(minutes=5)
    with db.transaction() as session:
        session.execute(insert(OUTBOX), [
            {"id": f"e{i}", "type": "t", "version": 1, "occurred_at": "x", "source": "s", "payload": "{}",
             "created_at": long_ago, "published_at": long_ago if i < 2500 else (lately if i < 2600 else None)}
            for i in range(2700)])
        session.execute(insert(INBOX), [{"queue": f"q{i % 3}", "message_id": f"m{i}", "type": "t",
                                         "handled_at": long_ago if i < 1234 else lately} for i in range(1300)])
        session.execute(insert(KEYS), [{"subject": f"s{i % 5}", "key": f"k{i}", "fingerprint": "f", "status": 201,
                                        "body": "{}", "created_at": long_ago if i < 700 else lately}
                                       for i in range(720)])
    settings = Settings.from_env({"REALNAME_PRUNE_BATCH": "100"})
    pruner = Pruner.for_service(db, {t.name: t for t in (OUTBOX, INBOX, KEYS)}, [], settings)
    pruned = pruner.prune_once()
    assert {name: p.rows for name, p in pruned.items()} == {"outbox": 2500, "inbox": 1234, "idempotency_keys": 700}
    assert pruned["inbox"].batches == 13  # 100 a transaction
    assert (count(db, OUTBOX), count(db, INBOX), count(db, KEYS)) == (200, 66, 20)


def test_a_service_names_its_own_tables_and_a_missing_one_is_no_error(db: Database) -> None:
    settings = Settings.from_env({})
    pruner = Pruner.for_service(db, {"inbox": INBOX}, [Retention("challenges", "expires_at", "REALNAME_PRUNE_BATCH")],
                                settings)
    assert [(t.name, column, hours) for t, column, hours in pruner.tables] == [("inbox", "handled_at", 720.0)]
