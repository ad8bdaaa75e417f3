"""How a batch of deliveries is decided without a broker: handled once, retried, or dead-lettered with a reason."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

from realname_kit.bus.dead_letters import FileDeadLetters
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import (
    Delivery,
    Handler,
    MessageProcessor,
    Outcome,
    PoisonMessage,
    Stopped,
    TransientError,
    before_transaction,
    handles_batch,
    when_dead_lettered,
)
from realname_kit.bus.tables import messaging_tables
from realname_kit.db import Database

QUEUE = "probe.events"


@dataclass
class World:
    db: Database
    inbox: Table
    effects: Table

    def processor(self, handlers: Mapping[str, Handler]) -> MessageProcessor:
        return MessageProcessor(QUEUE, self.db, self.inbox, handlers)

    def effect_ids(self) -> list[str]:
        with self.db.transaction() as session:
            return [r[0] for r in session.execute(select(self.effects.c.message_id).order_by(self.effects.c.seq))]

    def inbox_count(self) -> int:
        with self.db.transaction() as session:
            return int(session.execute(select(func.count()).select_from(self.inbox)).scalar_one())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    metadata = MetaData()
    _, inbox = messaging_tables(metadata)
    effects = Table("effects", metadata,
                    Column("seq", Integer, primary_key=True, autoincrement=True),
                    Column("message_id", String(64), nullable=False),
                    Column("type", String(100), nullable=False))
    db = Database(f"sqlite:///{tmp_path / 'probe.db'}")
    metadata.create_all(db.engine)
    try:
        yield World(db, inbox, effects)
    finally:
        db.dispose()


def recorder(world: World) -> Handler:
    """A handler whose effect is a row written in the message's own transaction."""
    def record(session: Session, envelope: Envelope) -> None:
        if envelope.data.get("poison"):
            raise PoisonMessage("this message can never succeed")
        session.execute(insert(world.effects).values(message_id=envelope.id, type=envelope.type))
    return record


def event(event_type: str = "thing.happened", **data: object) -> Envelope:
    return Envelope(type=event_type, source="probe", data=dict(data))


def delivery(envelope: Envelope) -> Delivery:
    return Delivery(envelope.to_json(), tag=envelope.id)


def reasons(outcomes: list[Outcome]) -> dict[object, str | None]:
    return {o.delivery.tag: o.dead_reason for o in outcomes}


@dataclass
class Flaky:
    """Fails with a transient error a number of times, then records like ``recorder``."""

    world: World
    failures: int
    calls: int = 0

    def __call__(self, session: Session, envelope: Envelope) -> None:
        self.calls += 1
        session.execute(insert(self.world.effects).values(message_id=envelope.id, type=envelope.type))
        if self.calls <= self.failures:
            raise TransientError("the database blinked")


@dataclass
class Counter:
    count: int = 0

    def __call__(self) -> None:
        self.count += 1


@dataclass
class BatchRecorder:
    world: World
    batches: list[list[str]] = field(default_factory=list)

    def __call__(self, session: Session, envelopes: list[Envelope]) -> None:
        self.batches.append([e.id for e in envelopes])
        session.execute(insert(self.world.effects),
                        [{"message_id": e.id, "type": e.type} for e in envelopes])


# --- refused before any handler runs ---------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id": "x"}', b"\xff\xfe\xfd"], ids=repr)
def test_a_malformed_body_is_dead_lettered_as_a_malformed_envelope(world: World, body: bytes) -> None:
    outcomes = world.processor({"thing.happened": recorder(world)}).process([Delivery(body, tag="bad")])
    reason = reasons(outcomes)["bad"]
    assert reason is not None
    assert reason.startswith("malformed_envelope")
    assert world.inbox_count() == 0


def test_an_event_type_without_a_handler_is_dead_lettered_as_no_handler(world: World) -> None:
    stray = event("something.else")
    outcomes = world.processor({"thing.happened": recorder(world)}).process([delivery(stray)])
    assert reasons(outcomes)[stray.id] == "no_handler: something.else v1"
    assert world.inbox_count() == 0


def test_refused_messages_do_not_hold_back_the_good_ones_beside_them(world: World) -> None:
    good, stray = event(), event("something.else")
    batch = [Delivery(b"garbage", tag="garbage"), delivery(stray), delivery(good)]
    outcomes = world.processor({"thing.happened": recorder(world)}).process(batch)
    assert len(outcomes) == 3
    assert reasons(outcomes)[good.id] is None
    assert world.effect_ids() == [good.id]


def test_an_empty_batch_has_no_outcomes(world: World) -> None:
    assert world.processor({"thing.happened": recorder(world)}).process([]) == []


# --- poison -----------------------------------------------------------------------------------------------------

def test_a_poison_message_alone_is_dead_lettered_and_the_rest_of_its_batch_is_handled(world: World) -> None:
    first, poison, last = event(n=1), event(poison=True), event(n=3)
    outcomes = world.processor({"thing.happened": recorder(world)}).process(
        [delivery(first), delivery(poison), delivery(last)])
    decided = reasons(outcomes)
    assert decided[first.id] is None
    assert decided[last.id] is None
    poison_reason = decided[poison.id]
    assert poison_reason is not None
    assert poison_reason.startswith("PoisonMessage: this message can never succeed")
    assert world.effect_ids() == [first.id, last.id]
    assert world.inbox_count() == 2


def test_an_unexpected_handler_error_is_dead_lettered_with_its_type(world: World) -> None:
    def broken(session: Session, envelope: Envelope) -> None:
        raise KeyError("uscc")

    bad = event()
    outcomes = world.processor({"thing.happened": broken}).process([delivery(bad)])
    reason = reasons(outcomes)[bad.id]
    assert reason is not None
    assert reason.startswith("KeyError")
    assert world.inbox_count() == 0


# --- exactly-once effects ---------------------------------------------------------------------------------------

def test_the_same_message_twice_in_a_batch_and_again_later_has_its_effect_once(world: World) -> None:
    processor = world.processor({"thing.happened": recorder(world)})
    once, other = event(n=1), event(n=2)
    first = processor.process([delivery(once), delivery(once), delivery(other)])
    assert [o.dead_reason for o in first] == [None, None, None]
    later = processor.process([delivery(once)])
    assert [o.dead_reason for o in later] == [None]
    assert world.effect_ids() == [once.id, other.id]
    assert world.inbox_count() == 2


def test_a_redelivery_is_acknowledged_without_running_the_handler(world: World) -> None:
    calls: list[str] = []

    def counting(session: Session, envelope: Envelope) -> None:
        calls.append(envelope.id)

    processor = world.processor({"thing.happened": counting})
    message = event()
    processor.process([delivery(message)])
    assert [o.dead_reason for o in processor.process([delivery(message)])] == [None]
    assert calls == [message.id]


def test_the_same_message_on_another_queue_is_handled_there_too(world: World) -> None:
    message = event()
    world.processor({"thing.happened": recorder(world)}).process([delivery(message)])
    other = MessageProcessor("other.queue", world.db, world.inbox, {"thing.happened": recorder(world)})
    other.process([delivery(message)])
    assert world.effect_ids() == [message.id, message.id]


# --- transient failures ------------------------------------------------------------------------------------------

def test_a_transient_failure_is_retried_until_the_handler_succeeds(world: World) -> None:
    flaky = Flaky(world, failures=2)
    keepalive = Counter()
    message = event()
    outcomes = world.processor({"thing.happened": flaky}).process(
        [delivery(message)], stop=threading.Event(), keepalive=keepalive)
    assert [o.dead_reason for o in outcomes] == [None]
    assert flaky.calls == 3
    assert keepalive.count >= 2  # the broker connection is kept alive while waiting
    assert world.effect_ids() == [message.id]  # the failed attempts were rolled back


def test_a_transient_failure_while_stopping_leaves_the_batch_unacknowledged(world: World) -> None:
    flaky = Flaky(world, failures=1_000)
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        world.processor({"thing.happened": flaky}).process([delivery(event()), delivery(event())], stop=stop)
    assert flaky.calls == 1
    assert world.effect_ids() == []
    assert world.inbox_count() == 0


# --- batch handlers ----------------------------------------------------------------------------------------------

def test_a_batch_handler_receives_every_fresh_event_of_its_type_at_once(world: World) -> None:
    batch_recorder = BatchRecorder(world)
    processor = world.processor({"punch.recorded": handles_batch(batch_recorder),
                                 "thing.happened": recorder(world)})
    punches = [event("punch.recorded", n=i) for i in range(4)]
    other = event()
    body = [delivery(punches[0]), delivery(other), delivery(punches[1]), delivery(punches[0]),
            delivery(punches[2]), delivery(punches[3])]
    outcomes = processor.process(body)
    assert [o.dead_reason for o in outcomes] == [None] * len(body)
    assert batch_recorder.batches == [[p.id for p in punches]]
    assert sorted(world.effect_ids()) == sorted([p.id for p in punches] + [other.id])


def test_a_batch_handler_is_not_given_events_already_handled(world: World) -> None:
    batch_recorder = BatchRecorder(world)
    processor = world.processor({"punch.recorded": handles_batch(batch_recorder)})
    old, new = event("punch.recorded", n=1), event("punch.recorded", n=2)
    processor.process([delivery(old)])
    processor.process([delivery(old), delivery(new)])
    assert batch_recorder.batches == [[old.id], [new.id]]


def test_a_batch_of_only_redeliveries_does_not_call_the_batch_handler(world: World) -> None:
    batch_recorder = BatchRecorder(world)
    processor = world.processor({"punch.recorded": handles_batch(batch_recorder)})
    old = event("punch.recorded")
    processor.process([delivery(old)])
    processor.process([delivery(old)])
    assert batch_recorder.batches == [[old.id]]


def test_a_deeply_nested_body_is_dead_lettered_and_does_not_hold_back_its_batch(world: World) -> None:
    good = event()
    nested = json.dumps({"id": "x"})[:-1].encode() + b', "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    outcomes = world.processor({"thing.happened": recorder(world)}).process(
        [Delivery(nested, tag="nested"), delivery(good)])
    decided = reasons(outcomes)
    assert decided[good.id] is None
    assert str(decided["nested"]).startswith("malformed_envelope")


# --- what a dead letter leaves behind ---------------------------------------------------------------------------

@dataclass
class Failures:
    """A ``when_dead_lettered`` hook: writes what died, and why, in a transaction of its own."""

    world: World
    seen: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, session: Session, envelope: Envelope, reason: str) -> None:
        self.seen.append((envelope.id, reason))
        session.execute(insert(self.world.effects).values(message_id=envelope.id, type="failed"))


def test_a_dead_lettered_message_runs_its_hook_once_with_the_reason(world: World) -> None:
    failures = Failures(world)
    bad, good = event(poison=True), event()
    outcomes = world.processor({"thing.happened": when_dead_lettered(failures)(recorder(world))}).process(
        [delivery(bad), delivery(good)])
    assert reasons(outcomes)[bad.id] is not None
    assert failures.seen == [(bad.id, reasons(outcomes)[bad.id])]
    assert sorted(world.effect_ids()) == sorted([bad.id, good.id])  # the hook's row, and the good one's


def test_the_last_delivery_the_broker_allows_is_dead_lettered_untried_and_runs_the_hook(world: World) -> None:
    failures = Failures(world)
    handler = when_dead_lettered(failures)(recorder(world))
    processor = MessageProcessor(QUEUE, world.db, world.inbox, {"thing.happened": handler}, delivery_limit=5)
    tried, last = event(), event()
    outcomes = processor.process([Delivery(tried.to_json(), tag=tried.id, redeliveries=4),
                                  Delivery(last.to_json(), tag=last.id, redeliveries=5)])
    assert reasons(outcomes)[tried.id] is None
    assert (reasons(outcomes)[last.id] or "").startswith("delivery_limit")
    assert [i for i, _ in failures.seen] == [last.id]
    assert world.inbox_count() == 1  # the last one never ran: a replay after a fix still handles it


def test_a_hook_that_fails_does_not_keep_the_message_from_its_dead_letter(world: World) -> None:
    def broken(session: Session, envelope: Envelope, reason: str) -> None:
        raise RuntimeError("the hook is broken too")

    bad = event(poison=True)
    outcomes = world.processor({"thing.happened": when_dead_lettered(broken)(recorder(world))}).process(
        [delivery(bad)])
    assert reasons(outcomes)[bad.id] is not None


def test_all_in_one_dead_letters_are_listed_and_replayed_once_through_the_processor(
        world: World, tmp_path: Path) -> None:
    poisoned = {"on": True}

    def sometimes(session: Session, envelope: Envelope) -> None:
        if poisoned["on"]:
            raise PoisonMessage("not yet")
        session.execute(insert(world.effects).values(message_id=envelope.id, type=envelope.type))

    processor = world.processor({"thing.happened": sometimes})
    dead = tmp_path / "dead-letters.jsonl"
    box = FileDeadLetters(dead, lambda: [processor])
    first = event(who="张三")
    outcome = processor.process([delivery(first)])[0]
    dead.write_text(json.dumps({"queue": QUEUE, "reason": outcome.dead_reason, "at": "2026-12-05T08:00:00+00:00",
                                "body": first.to_json().decode()}) + "\n")
    assert [(x.message_id, x.event_type, x.count) for x in box.browse()] == [(first.id, "thing.happened", 1)]
    box.replay(QUEUE)  # not fixed yet: dead again, counted
    assert [(x.message_id, x.count, x.first_death) for x in box.browse()] == [
        (first.id, 2, "2026-12-05T08:00:00+00:00")]
    poisoned["on"] = False  # the fix
    assert [x.message_id for x in box.replay(QUEUE, first.id)] == [first.id]
    assert box.browse() == [] and world.effect_ids() == [first.id]
    assert box.replay(QUEUE) == []


# --- a step before the transaction (a call to an outside system) ------------------------------------------------

def test_a_step_before_the_transaction_runs_once_per_batch_with_none_open_even_when_the_batch_is_retried_one_by_one(
        world: World) -> None:
    asked: list[tuple[list[str], int]] = []

    def ask(db: Database, envelopes: list[Envelope]) -> None:
        asked.append(([e.id for e in envelopes], db.engine.pool.checkedout()))  # type: ignore[attr-defined]

    first, poison, last = event(n=1), event(poison=True), event(n=3)
    handler = before_transaction(ask)(recorder(world))
    outcomes = world.processor({"thing.happened": handler}).process([delivery(first), delivery(poison),
                                                                     delivery(last)])
    assert asked == [([first.id, poison.id, last.id], 0)]  # the poison's one-by-one round asks nothing again
    assert reasons(outcomes)[poison.id] is not None
    assert world.effect_ids() == [first.id, last.id]


def test_a_failing_step_before_the_transaction_leaves_the_handler_to_do_without_it(world: World) -> None:
    def ask(db: Database, envelopes: list[Envelope]) -> None:
        raise ConnectionError("the outside system hung up")

    message = event()
    outcomes = world.processor({"thing.happened": before_transaction(ask)(recorder(world))}).process(
        [delivery(message)])
    assert reasons(outcomes)[message.id] is None
    assert world.effect_ids() == [message.id]
