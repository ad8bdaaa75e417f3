"""What each answer of the identity authority does to a pending read, with a fake authority (R1-R3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_identity import events
from realname_identity.authority import (
    AuthorityClosed,
    AuthorityError,
    AuthorityRefused,
    AuthorityUnavailable,
    Verdict,
    VerificationRequest,
)
from realname_identity.models import Base, CardRead, outbox
from realname_identity.reads import IncomingRead, accept_read
from realname_identity.verification import LONGEST_WAIT, Verifier, backoff
from realname_kit.db import Database
from realname_kit.privacy import Keyring, ensure_keyring
from tests.support.cards import card_of, person

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # a Saturday, 10:00 in China
SOMEONE = person(1)


@dataclass
class FakeAuthority:
    answers: list[Verdict | AuthorityError]
    asked: list[VerificationRequest] = field(default_factory=list)

    def verify(self, request: VerificationRequest) -> Verdict:
        self.asked.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, AuthorityError):
            raise answer
        return answer


@dataclass
class World:
    db: Database
    keyring: Keyring
    authority: FakeAuthority

    def pending_read(self, session: Session) -> CardRead:
        incoming = IncomingRead(read_id="read-1", employer_id="employer-1", source="browser", sender="clerk",
                                read_at=NOW, card=card_of(SOMEONE))
        read, _ = accept_read(session, self.keyring, incoming, date(2026, 11, 21), NOW)
        return read

    def verifier(self) -> Verifier:
        return Verifier(self.authority, self.keyring, concurrency=2, jitter=lambda seconds: 0.0)

    def verify(self, now: datetime = NOW, verifier: Verifier | None = None, ask: bool = True) -> CardRead:
        """Both steps, as the consumer takes them: ask outside any transaction, then record in one."""
        verifier = verifier or self.verifier()
        if ask:
            verifier.ask_due(self.db, {"read-1": None}, now)
        return self.record(verifier, now)

    def record(self, verifier: Verifier, now: datetime = NOW) -> CardRead:
        with self.db.transaction() as session:
            verifier.record(session, {"read-1": None}, now)
        return self.read()

    def read(self) -> CardRead:
        with self.db.transaction() as session:
            read = session.scalars(select(CardRead)).one()
            session.expunge(read)
        return read

    def routing_keys(self) -> list[str]:
        """What the verification recorded (the read's intake announced it pending before: not counted here)."""
        with self.db.transaction() as session:
            return [r.type for r in session.execute(select(outbox.c.type).order_by(outbox.c.seq))
                    if r.type != "identity.read_pending"]

    def last_event(self) -> dict[str, object]:
        """The data of the last event, its sealed card fields opened (the outbox holds them sealed)."""
        with self.db.transaction() as session:
            payload = session.execute(select(outbox.c.payload).order_by(outbox.c.seq.desc()).limit(1)).scalar_one()
        return self.opened(payload)

    def opened(self, payload: str) -> dict[str, object]:
        envelope = json.loads(payload)
        assert envelope["version"] == events.VERSION and "id_number" not in envelope["data"]
        return events.SEALED[envelope["type"]].open(self.keyring, envelope["data"])


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    db = Database(f"sqlite:///{tmp_path / 'identity.db'}")
    Base.metadata.create_all(db.engine)
    ensure_keyring(tmp_path / "keys.json")
    found = World(db, Keyring.load(tmp_path / "keys.json"), FakeAuthority([]))
    with db.transaction() as session:
        found.pending_read(session)
    yield found
    db.dispose()


def test_a_match_verifies_the_read_and_announces_it_with_the_number(world: World) -> None:
    world.authority.answers = [Verdict.MATCH]
    read = world.verify()
    assert (read.status, read.attempts, read.decided_at) == ("verified", 1, NOW)
    assert world.routing_keys() == ["identity.verified"]
    assert world.last_event()["id_number"] == world.authority.asked[0].id_number
    assert world.authority.asked[0].request_id == "read-1"  # the authority may be asked again with the same key


@pytest.mark.parametrize(("verdict", "reason"), [(Verdict.MISMATCH, "mismatch"), (Verdict.NOT_FOUND, "not_found"),
                                                 (Verdict.REPORTED_FAKE, "reported_fake"),
                                                 (Verdict.EXPIRED, "card_expired")])
def test_any_other_verdict_rejects_the_read_with_its_reason(world: World, verdict: Verdict, reason: str) -> None:
    world.authority.answers = [verdict]
    read = world.verify()
    assert (read.status, read.reason) == ("rejected", reason)
    assert world.routing_keys() == ["identity.rejected"]
    assert world.last_event()["message_zh"]


def test_a_closed_authority_keeps_the_read_pending_until_the_announced_reopening_r3(world: World) -> None:
    monday = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 08:00 in China
    world.authority.answers = [AuthorityClosed(monday)]
    read = world.verify()
    assert (read.status, read.last_error, read.next_attempt_at) == ("pending", "authority_closed", monday)
    # Two days away: the longest wait queue, and the rest of the way in further hops.
    assert world.routing_keys() == ["identity.verification_due.wait-1800s"]


def test_a_failing_authority_is_asked_again_with_doubling_back_off(world: World) -> None:
    world.authority.answers = [AuthorityUnavailable("timeout"), AuthorityUnavailable("server_error")]
    first = world.verify()
    assert (first.last_error, first.next_attempt_at) == ("timeout", NOW + timedelta(seconds=2))
    second = world.verify(NOW + timedelta(seconds=2))
    assert (second.last_error, second.attempts) == ("server_error", 2)
    assert second.next_attempt_at == NOW + timedelta(seconds=2 + 4)
    assert world.routing_keys() == ["identity.verification_due.wait-2s", "identity.verification_due.wait-2s"]


def test_a_read_not_due_yet_goes_round_again_without_asking_the_authority(world: World) -> None:
    world.authority.answers = [AuthorityUnavailable("unreachable")]
    world.verify()
    for _ in range(3):
        world.verify(NOW + timedelta(milliseconds=500))
    assert len(world.authority.asked) == 1
    assert world.routing_keys()[-1] == "identity.verification_due.wait-2s"


def test_a_settled_read_is_left_alone(world: World) -> None:
    world.authority.answers = [Verdict.MATCH]
    world.verify()
    world.verify()
    assert len(world.authority.asked) == 1 and world.routing_keys() == ["identity.verified"]


def test_the_back_off_stops_doubling_at_half_an_hour_however_many_attempts_went_before(world: World) -> None:
    assert [backoff(n) for n in (1, 2, 3, 11, 12)] == [2.0, 4.0, 8.0, LONGEST_WAIT, LONGEST_WAIT]
    assert backoff(1025) == backoff(10**9) == LONGEST_WAIT  # 2.0 ** 1024 would overflow
    with world.db.transaction() as session:
        session.scalars(select(CardRead)).one().attempts = 5000
    world.authority.answers = [AuthorityUnavailable("timeout")]
    read = world.verify()
    assert (read.status, read.attempts, read.next_attempt_at) == ("pending", 5001, NOW + timedelta(minutes=30))


def test_a_refusal_of_the_authority_is_final_and_rejects_the_read_with_its_own_reason(world: World) -> None:
    world.authority.answers = [AuthorityRefused(400)]
    read = world.verify()
    assert (read.status, read.reason, read.next_attempt_at) == ("rejected", "authority_refused", None)
    assert world.routing_keys() == ["identity.rejected"]
    event = world.last_event()
    assert event["reason"] == "authority_refused" and "Read the card again" in str(event["message"])
    world.verify()
    assert len(world.authority.asked) == 1  # never asked again


def test_no_transaction_is_open_while_the_authority_is_asked(world: World) -> None:
    seen: list[int] = []

    class WatchingAuthority(FakeAuthority):
        def verify(self, request: VerificationRequest) -> Verdict:
            seen.append(world.db.engine.pool.checkedout())  # type: ignore[attr-defined]
            return super().verify(request)

    world.authority = WatchingAuthority([Verdict.MATCH])
    assert world.verify().status == "verified"
    assert seen == [0]


def test_an_answer_is_recorded_once_however_often_the_recording_step_runs(world: World) -> None:
    world.authority.answers = [AuthorityUnavailable("timeout")]
    verifier = world.verifier()
    verifier.ask_due(world.db, {"read-1": 0}, NOW)
    for _ in range(3):  # a redelivery, or a batch handled again one by one, records with the same answers
        with world.db.transaction() as session:
            verifier.record(session, {"read-1": 0}, NOW)
    read = world.read()
    assert (read.attempts, read.last_error) == (1, "timeout")
    assert world.routing_keys() == ["identity.verification_due.wait-2s"]
    assert len(world.authority.asked) == 1


def test_a_due_read_the_first_step_did_not_ask_about_is_scheduled_again_not_asked_in_the_transaction(
        world: World) -> None:
    read = world.verify(ask=False)
    assert (read.status, read.attempts) == ("pending", 0)
    assert world.authority.asked == []
    assert world.routing_keys() == ["identity.verification_due.wait-2s"]


def test_a_read_taken_in_is_announced_pending_with_the_cards_fields_and_nothing_more_than_a_verified_one(
        world: World) -> None:
    with world.db.transaction() as session:
        (payload,) = session.execute(select(outbox.c.payload).where(outbox.c.type == "identity.read_pending")).scalars()
    pending = world.opened(payload)
    assert (pending["read_id"], pending["name"], pending["id_number"]) == ("read-1", SOMEONE["name"],
                                                                         SOMEONE["id_number"])
    world.authority.answers = [Verdict.MATCH]
    world.verify()
    verified = world.last_event()
    assert set(pending) - {"received_at"} == set(verified) - {"verified_at"}  # personal fields: the same, no more
