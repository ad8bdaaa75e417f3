"""The deny-list each service keeps (realname_kit.denials): what it refuses, how fresh its copy is, how it learns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData

from realname_kit.bus.envelope import Envelope
from realname_kit.bus.tables import messaging_tables
from realname_kit.db import Database
from realname_kit.denials import (
    DENIAL_EVENT,
    DENIAL_HANDLERS,
    SESSION,
    SUBJECT,
    Denial,
    DenyList,
    denial_queue,
    learn_denial,
    store,
)
from realname_kit.service import platform_specs
from realname_kit.timeutil import utcnow


def later() -> datetime:
    """Six minutes from now, when the test runs (a suite that runs for half an hour must not find it past)."""
    return utcnow() + timedelta(minutes=6)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    metadata = MetaData()
    messaging_tables(metadata)
    database = Database(f"sqlite:///{tmp_path / 'service.db'}")
    metadata.create_all(database.engine)
    try:
        yield database
    finally:
        database.dispose()


def record(db: Database, denial: Denial) -> None:
    with db.transaction() as session:
        store(session, denial)


def claims(sid: str = "s-1", sub: str = "a-1", gv: int = 0) -> dict[str, object]:
    return {"sid": sid, "sub": sub, "gv": gv}


def test_a_token_of_an_ended_session_is_refused_and_other_sessions_are_not(db: Database) -> None:
    record(db, Denial(SESSION, "s-1", later()))
    denials = DenyList(db)
    assert denials.refuses(claims(sid="s-1"))
    assert not denials.refuses(claims(sid="s-2"))


def test_tokens_granting_more_than_the_subject_now_holds_are_refused_and_newer_ones_accepted(db: Database) -> None:
    record(db, Denial(SUBJECT, "a-1", later(), below_version=3))
    denials = DenyList(db)
    assert denials.refuses(claims(gv=2))
    assert denials.refuses({"sub": "a-1"})  # a token from before versions counts as version 0
    assert not denials.refuses(claims(gv=3))
    assert not denials.refuses(claims(sub="a-2", gv=0))


def test_a_subject_denied_without_a_version_has_every_token_refused(db: Database) -> None:
    record(db, Denial(SUBJECT, "cert-1", later()))
    assert DenyList(db).refuses(claims(sub="cert-1", gv=99))


def test_a_denial_past_its_expiry_refuses_nothing(db: Database) -> None:
    record(db, Denial(SESSION, "s-1", utcnow() - timedelta(seconds=1)))
    assert not DenyList(db).refuses(claims(sid="s-1"))


def test_the_stricter_and_longer_denial_wins_whatever_order_they_come_in(db: Database) -> None:
    record(db, Denial(SUBJECT, "a-1", later(), below_version=5))
    record(db, Denial(SUBJECT, "a-1", utcnow() + timedelta(minutes=1), below_version=4))  # an older change, late
    denials = DenyList(db)
    assert denials.refuses(claims(gv=4)) and not denials.refuses(claims(gv=5))
    record(db, Denial(SUBJECT, "a-1", later(), below_version=None))
    assert DenyList(db).refuses(claims(gv=5))


def test_a_web_process_reads_the_table_again_only_once_its_copy_is_a_second_old(db: Database) -> None:
    clock = FakeClock()
    denials = DenyList(db, fresh_seconds=1.0, clock=clock)
    assert not denials.refuses(claims(sid="s-1"))
    record(db, Denial(SESSION, "s-1", later()))
    clock.now += 0.5
    assert not denials.refuses(claims(sid="s-1"))  # the copy of half a second ago
    clock.now += 0.5
    assert denials.refuses(claims(sid="s-1"))


def test_a_service_learns_a_denial_from_the_event_and_learning_it_twice_changes_nothing(db: Database) -> None:
    event = Envelope(type=DENIAL_EVENT, source="gateway", data=Denial(SESSION, "s-9", later()).as_event())
    for _ in range(2):
        with db.transaction() as session:
            learn_denial(session, Envelope.from_json(event.to_json()))
    assert DenyList(db).refuses(claims(sid="s-9"))


def test_a_denial_of_an_unknown_claim_is_invalid() -> None:
    with pytest.raises(ValueError, match="claim"):
        Denial.from_event({"claim": "jti", "value": "x", "expires_at": later().isoformat()})


def test_every_service_with_endpoints_learns_the_denials() -> None:
    for spec in platform_specs():
        if spec.name == "gateway" or not spec.blueprints:
            continue  # the gateway writes its own; a service without endpoints has no token to refuse
        assert denial_queue(spec.name) in spec.queues, spec.name
        assert DENIAL_HANDLERS.items() <= dict(spec.handlers).items(), spec.name
