"""One probe looks for the authority's return before its announced reopening, and releases the waiting reads (R3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from realname_identity.authority import AuthorityClosed, AuthorityUnavailable, Verdict, VerificationRequest
from realname_identity.models import AuthorityWatch, Base, CardRead, outbox
from realname_identity.probing import PROBE_EVENT, AuthorityProbe
from realname_identity.reads import IncomingRead, accept_read
from realname_identity.verification import Verifier
from realname_kit.bus.envelope import Envelope
from realname_kit.db import Database
from realname_kit.privacy import Keyring, ensure_keyring
from tests.support.cards import card_of, person

SATURDAY = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 10:00 in China
MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # the announced reopening, 08:00 in China
INTERVAL = 300.0
READS = [f"read-{n}" for n in range(5)]


@dataclass
class Authority:
    """Closed until told otherwise; counts the questions."""

    closed: bool = True
    asked: list[str] = field(default_factory=list)

    def verify(self, request: VerificationRequest) -> Verdict:
        self.asked.append(request.request_id)
        if self.closed:
            raise AuthorityClosed(MONDAY)
        return Verdict.MATCH


@dataclass
class World:
    db: Database
    authority: Authority
    verifier: Verifier
    probe: AuthorityProbe

    def verify(self, read_ids: list[str], now: datetime) -> None:
        wanted = dict.fromkeys(read_ids)
        self.verifier.ask_due(self.db, wanted, now)
        with self.db.transaction() as session:
            self.verifier.record(session, wanted, now)

    def run_probe(self, number: int, now: datetime) -> None:
        batch = [Envelope(type=PROBE_EVENT, source="identity", data={"probe": number})]
        self.probe.ask(self.db, batch, now)
        with self.db.transaction() as session:
            self.probe.record(session, batch, now)

    def watch(self) -> AuthorityWatch:
        with self.db.transaction() as session:
            watch = session.get(AuthorityWatch, 1)
            assert watch is not None
            session.expunge(watch)
        return watch

    def events(self, kind: str) -> list[tuple[str, dict[str, object]]]:
        with self.db.transaction() as session:
            rows = session.execute(select(outbox.c.type, outbox.c.payload).order_by(outbox.c.seq)).all()
        return [(r.type, json.loads(r.payload)["data"]) for r in rows if r.type.startswith(kind)]

    def reads(self) -> list[CardRead]:
        with self.db.transaction() as session:
            found = list(session.scalars(select(CardRead).order_by(CardRead.seq)))
            session.expunge_all()
        return found

    def forget_events(self) -> None:
        with self.db.transaction() as session:
            session.execute(outbox.delete())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    db = Database(f"sqlite:///{tmp_path / 'identity.db'}")
    Base.metadata.create_all(db.engine)
    ensure_keyring(tmp_path / "keys.json")
    keyring = Keyring.load(tmp_path / "keys.json")
    with db.transaction() as session:
        for n, read_id in enumerate(READS):
            accept_read(session, keyring, IncomingRead(read_id=read_id, employer_id="employer-1", source="browser",
                                                       sender="clerk", read_at=SATURDAY, card=card_of(person(n))),
                        date(2026, 11, 21), SATURDAY)
    authority = Authority()
    verifier = Verifier(authority, keyring, concurrency=2, jitter=lambda seconds: 0.0)
    probe = AuthorityProbe(verifier, INTERVAL)
    verifier.watch = probe
    yield World(db, authority, verifier, probe)
    verifier.close()
    db.dispose()


def test_reads_turned_away_by_a_closure_start_one_probe_chain_however_many_they_are(world: World) -> None:
    world.verify(READS[:3], SATURDAY)
    world.verify(READS[3:], SATURDAY)
    assert world.events(PROBE_EVENT) == [(f"{PROBE_EVENT}.wait-300s", {"probe": 1})]
    assert world.watch().probe_at == SATURDAY + timedelta(seconds=INTERVAL)
    assert {r.next_attempt_at for r in world.reads()} == {MONDAY}


def test_a_probe_while_the_authority_is_still_closed_asks_once_and_probes_again_later(world: World) -> None:
    world.verify(READS, SATURDAY)
    asked = len(world.authority.asked)
    later = SATURDAY + timedelta(seconds=INTERVAL)
    world.run_probe(1, later)
    assert len(world.authority.asked) == asked + 1  # one read asked about, not all five
    assert world.events(PROBE_EVENT)[-1] == (f"{PROBE_EVENT}.wait-300s", {"probe": 2})
    assert world.watch().probe == 2
    assert {r.next_attempt_at for r in world.reads()} == {MONDAY}


def test_a_probe_the_authority_answers_releases_every_waiting_read_and_each_is_verified_once(world: World) -> None:
    world.verify(READS, SATURDAY)
    world.forget_events()
    early = SATURDAY + timedelta(seconds=INTERVAL)
    world.authority.closed = False
    world.run_probe(1, early)
    released = world.events("identity.verification_due")
    assert sorted(str(data["read_id"]) for _, data in released) == READS
    assert {kind for kind, _ in released} == {"identity.verification_due"}  # due now: no wait queue
    assert {r.next_attempt_at for r in world.reads()} == {early}
    assert world.watch().probe_at is None and world.events(PROBE_EVENT) == []  # the chain ended
    world.verify(READS, early)
    world.verify(READS, early)  # the released events and the old chain's both arrive: one verification each
    assert [r.status for r in world.reads()] == ["verified"] * len(READS)
    assert len(world.events("identity.verified")) == len(READS)


def test_a_probe_not_due_yet_goes_round_again_without_asking(world: World) -> None:
    world.verify(READS, SATURDAY)
    asked = len(world.authority.asked)
    world.run_probe(1, SATURDAY + timedelta(seconds=10))
    assert len(world.authority.asked) == asked
    assert world.events(PROBE_EVENT)[-1] == (f"{PROBE_EVENT}.wait-60s", {"probe": 1})


def test_a_stale_probe_of_an_earlier_chain_does_nothing(world: World) -> None:
    world.verify(READS, SATURDAY)
    world.run_probe(1, SATURDAY + timedelta(seconds=INTERVAL))
    before = world.events(PROBE_EVENT)
    world.run_probe(1, SATURDAY + timedelta(seconds=2 * INTERVAL))
    assert world.events(PROBE_EVENT) == before


def test_a_read_answered_on_its_own_releases_the_others_and_ends_the_chain(world: World) -> None:
    world.verify(READS, SATURDAY)
    world.forget_events()
    with world.db.transaction() as session:
        session.scalars(select(CardRead).where(CardRead.id == READS[0])).one().next_attempt_at = None
    world.authority.closed = False
    now = SATURDAY + timedelta(seconds=30)
    world.verify([READS[0]], now)
    assert sorted(str(d["read_id"]) for _, d in world.events("identity.verification_due")) == READS[1:]
    assert world.watch().probe_at is None


def test_no_probe_starts_while_the_authority_only_fails(world: World) -> None:
    class Failing(Authority):
        def verify(self, request: VerificationRequest) -> Verdict:
            raise AuthorityUnavailable("timeout")

    world.verifier.authority = Failing()
    world.verify(READS, SATURDAY)
    assert world.events(PROBE_EVENT) == []
