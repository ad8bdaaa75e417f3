"""Handling a batch of delivered messages with the inbox: effects exactly once, failures classified.

Transport-free: the AMQP consumer and the in-process bus both hand their deliveries to a
``MessageProcessor`` and act on the outcome (ack, or dead-letter with the reason).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import String, Table, any_, bindparam, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from realname_kit.bus.envelope import Envelope, MalformedEnvelope
from realname_kit.db import Database
from realname_kit.logs import correlated, get_logger
from realname_kit.metrics import DEAD_LETTERED, FAILED, HANDLED, RETRIED, count_messages
from realname_kit.privacy.scrubbing import scrub_personal_numbers
from realname_kit.timeutil import utcnow

log = get_logger(__name__)

Handler = Callable[[Session, Envelope], None]
BatchHandler = Callable[[Session, list[Envelope]], None]
DeadLetterHook = Callable[[Session, Envelope, str], None]
OutsideStep = Callable[[Database, list[Envelope]], None]
_BATCH_ATTR = "__realname_batch_handler__"
_DEAD_ATTR = "__realname_when_dead_lettered__"
_BEFORE_ATTR = "__realname_before_transaction__"


def handles_batch(handler: BatchHandler) -> Handler:
    """Mark a handler that takes every fresh event of its type in a delivered batch at once.

    For high-volume streams (punches, read models): one statement for many events instead of one
    round trip each. It runs in the same transaction as the inbox rows, like any handler.
    """
    setattr(handler, _BATCH_ATTR, True)
    return handler  # type: ignore[return-value]


def when_dead_lettered(hook: DeadLetterHook) -> Callable[[Handler], Handler]:
    """Mark a handler whose event, once dead-lettered, must leave a trace: ``hook(session, event, reason)``
    runs in a transaction of its own (the handler's was rolled back), e.g. to mark a job failed with the
    reason instead of leaving it running for ever. It also runs for a message the consumer stopped on every
    time it was delivered, on its last delivery (see ``MessageProcessor``)."""
    def mark(handler: Handler) -> Handler:
        setattr(handler, _DEAD_ATTR, hook)
        return handler
    return mark


def before_transaction(step: OutsideStep) -> Callable[[Handler], Handler]:
    """Give a handler a step that runs first, outside any transaction: a call to an outside system that may wait
    seconds must not hold the inbox transaction (and its locks) open meanwhile.

    The step gets the events of its type in a delivered batch, once per batch (not again when the batch is then
    handled one by one), before the inbox is consulted: it may see a redelivery, so it only reads and asks, in its
    own short transactions. The handler records what the step learnt, and does right without it (the step
    failed, or ran in another process).
    """
    def mark(handler: Handler) -> Handler:
        setattr(handler, _BEFORE_ATTR, step)
        return handler
    return mark


class PoisonMessage(Exception):
    """Raise from a handler for a message that can never succeed (invalid data): it is dead-lettered."""


class TransientError(Exception):
    """Raise from a handler for a failure that a later attempt may not meet: it is retried."""


class Stopped(Exception):
    """Shutting down while retrying: leave the messages unacknowledged for redelivery."""


@dataclass(frozen=True, slots=True)
class Delivery:
    body: bytes
    tag: object = None
    sender: str | None = None  # the broker account that published it (AMQP user_id), when the broker says
    redeliveries: int = 0  # deliveries before this one that were never acknowledged (x-delivery-count)


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery: Delivery
    dead_reason: str | None = None   # None: handled (or a duplicate); acknowledge it
    envelope: Envelope | None = None


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TransientError | OperationalError | ConnectionError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class MessageProcessor:
    """Handles the deliveries of one queue. With a ``delivery_limit`` (the queue's), a message delivered that many
    times before without an acknowledgement (the consumer stopped on it each time) is not tried again: the
    broker would dead-letter it after this try without telling anyone, so it is dead-lettered here, where its
    ``when_dead_lettered`` hook can run."""

    def __init__(self, queue: str, db: Database, inbox: Table, handlers: Mapping[str, Handler], *,
                 delivery_limit: int | None = None) -> None:
        self.queue, self.db, self.inbox, self.handlers = queue, db, inbox, handlers
        self.delivery_limit = delivery_limit

    def process(self, batch: Sequence[Delivery], stop: threading.Event | None = None,
                keepalive: Callable[[], None] = lambda: None) -> list[Outcome]:
        """Handle the batch in one transaction; fall back to one at a time when something in it fails."""
        outcomes = self._process(batch, stop, keepalive)
        for outcome in outcomes:
            if outcome.dead_reason is not None and outcome.envelope is not None:
                self._run_dead_letter_hook(outcome.envelope, outcome.dead_reason)
        dead = sum(1 for o in outcomes if o.dead_reason is not None)
        count_messages(self.queue, DEAD_LETTERED, dead)
        count_messages(self.queue, HANDLED, len(outcomes) - dead)
        return outcomes

    def _process(self, batch: Sequence[Delivery], stop: threading.Event | None,
                 keepalive: Callable[[], None]) -> list[Outcome]:
        parsed: list[tuple[Delivery, Envelope]] = []
        outcomes: list[Outcome] = []
        for delivery in batch:
            try:
                envelope = replace(Envelope.from_json(delivery.body), sender=delivery.sender)
            except MalformedEnvelope as exc:
                outcomes.append(Outcome(delivery, f"malformed_envelope: {exc}"))
                continue
            if envelope.type not in self.handlers:
                outcomes.append(Outcome(delivery, f"no_handler: {envelope.type} v{envelope.version}"))
                continue
            if self.delivery_limit is not None and delivery.redeliveries >= self.delivery_limit:
                reason = (f"delivery_limit: delivered {delivery.redeliveries + 1} times, never acknowledged "
                          "(the consumer stopped while handling it)")
                log.error("message_dead_lettered", queue=self.queue, message_id=envelope.id, type=envelope.type,
                          reason=reason)
                outcomes.append(Outcome(delivery, reason, envelope))
                continue
            parsed.append((delivery, envelope))
        if not parsed:
            return outcomes
        self._before_transaction([e for _, e in parsed])
        try:
            self._retrying(lambda: self._handle_all(parsed), stop, keepalive, len(parsed))
            return outcomes + [Outcome(d) for d, _ in parsed]
        except Stopped:
            raise
        except Exception:  # one of them is bad: find which, without losing the good ones
            for delivery, envelope in parsed:
                outcomes.append(self._one(delivery, envelope, stop, keepalive))
            return outcomes

    def _before_transaction(self, envelopes: list[Envelope]) -> None:
        by_type: dict[str, list[Envelope]] = {}
        for envelope in envelopes:
            by_type.setdefault(envelope.type, []).append(envelope)
        for event_type, of_type in by_type.items():
            step: OutsideStep | None = getattr(self.handlers[event_type], _BEFORE_ATTR, None)
            if step is None:
                continue
            try:
                step(self.db, of_type)
            except Exception as exc:  # the handler does without what the step would have learnt
                log.warning("step_before_transaction_failed", queue=self.queue, type=event_type,
                            error=repr(exc)[:300])

    def _one(self, delivery: Delivery, envelope: Envelope, stop: threading.Event | None,
             keepalive: Callable[[], None]) -> Outcome:
        error: Exception | None = None
        for _ in range(2):  # a second try sees the inbox row of a concurrent redelivery that won
            try:
                self._retrying(lambda: self._handle_all([(delivery, envelope)]), stop, keepalive, 1)
                return Outcome(delivery)
            except Stopped:
                raise
            except IntegrityError as exc:
                error = exc
                count_messages(self.queue, FAILED)
            except Exception as exc:
                error = exc
                count_messages(self.queue, FAILED)
                break
        # The reason travels with the dead letter (a header, a file): no personal number quoted from the data.
        reason = scrub_personal_numbers(f"{type(error).__name__}: {error}")[:1000]
        log.error("message_dead_lettered", queue=self.queue, message_id=envelope.id,
                  type=envelope.type, reason=reason)
        return Outcome(delivery, reason, envelope)

    def _run_dead_letter_hook(self, envelope: Envelope, reason: str) -> None:
        hook: DeadLetterHook | None = getattr(self.handlers.get(envelope.type), _DEAD_ATTR, None)
        if hook is None:
            return
        try:
            with self.db.transaction() as session, correlated(envelope.correlation_id):
                hook(session, envelope, reason)
        except Exception as exc:  # the message is dead-lettered all the same; an operator replays it
            log.error("dead_letter_hook_failed", queue=self.queue, message_id=envelope.id, error=repr(exc)[:300])

    def _handle_all(self, parsed: Sequence[tuple[Delivery, Envelope]]) -> None:
        with self.db.transaction() as session:
            seen = self._already_handled(session, [e.id for _, e in parsed])
            fresh: dict[str, Envelope] = {}
            for _, envelope in parsed:
                if envelope.id not in seen:  # else a redelivery: its effects are already committed
                    fresh.setdefault(envelope.id, envelope)
            if not fresh:
                return
            self._record(session, list(fresh.values()))
            by_type: dict[str, list[Envelope]] = {}
            for envelope in fresh.values():
                by_type.setdefault(envelope.type, []).append(envelope)
            for event_type, envelopes in by_type.items():
                handler: Any = self.handlers[event_type]
                if getattr(handler, _BATCH_ATTR, False):
                    handler(session, envelopes)
                    continue
                for envelope in envelopes:
                    with correlated(envelope.correlation_id):
                        handler(session, envelope)

    def _already_handled(self, session: Session, ids: list[str]) -> set[str]:
        t = self.inbox
        if _is_postgresql(session):  # one statement text for any batch size: parsed and planned once
            among = t.c.message_id == any_(bindparam("ids", ids, type_=ARRAY(String())))
        else:
            among = t.c.message_id.in_(ids)
        return {r[0] for r in session.execute(select(t.c.message_id).where(t.c.queue == self.queue, among))}

    def _record(self, session: Session, envelopes: list[Envelope]) -> None:
        """The batch's inbox rows. PostgreSQL: one INSERT of arrays (a row each would be a statement each)."""
        if not _is_postgresql(session):
            session.execute(insert(self.inbox), [{"queue": self.queue, "message_id": e.id, "type": e.type}
                                                 for e in envelopes])
            return
        session.execute(text(
            f"INSERT INTO {self.inbox.name} (queue, message_id, type, handled_at) "  # noqa: S608 (our table's name)
            "SELECT :queue, m, t, :handled_at FROM unnest(CAST(:ids AS text[]), CAST(:types AS text[])) AS u(m, t)"),
            {"queue": self.queue, "handled_at": utcnow(), "ids": [e.id for e in envelopes],
             "types": [e.type for e in envelopes]})

    def _retrying(self, attempt: Callable[[], None], stop: threading.Event | None,
                  keepalive: Callable[[], None], messages: int) -> None:
        """Run ``attempt`` (on ``messages`` messages); on a transient failure wait with back-off and run it
        again, until stopped."""
        delay = 0.2
        while True:
            try:
                attempt()
                return
            except IntegrityError:
                raise  # a concurrent redelivery won the race, or a real conflict: decided one by one
            except Exception as exc:
                if not is_transient(exc):
                    raise
                count_messages(self.queue, RETRIED, messages)
                log.warning("message_retry", queue=self.queue, error=repr(exc)[:300], retry_in=delay)
                _wait(delay, stop, keepalive)
                delay = min(delay * 2, 15.0)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _wait(seconds: float, stop: threading.Event | None, keepalive: Callable[[], None]) -> None:
    # Sleep in slices so the broker connection's heartbeats keep flowing during a long back-off.
    end = seconds
    while end > 0:
        if stop is not None and stop.wait(min(end, 1.0)):
            raise Stopped
        if stop is None:
            threading.Event().wait(min(end, 1.0))
        keepalive()
        end -= 1.0

