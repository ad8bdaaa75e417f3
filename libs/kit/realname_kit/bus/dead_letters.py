"""A service's dead letters: listed, shown, and replayed into their queue after a fix.

On the broker each queue ``<queue>`` has its dead-letter queue ``<queue>.dead``: the consumer puts there what
can never succeed (with the reason in ``x-realname-reason``), and the broker what was delivered past the
delivery limit (its ``x-death`` header says so). Browsing takes the messages without acknowledging them and
gives them back by closing the channel, so a listing changes nothing. A replay publishes the message to its
queue alone (the default exchange), with publisher confirms, and acknowledges it in the dead-letter queue only
once the broker has confirmed the copy: it is never lost. Should the command die between the two, the message
is both in its queue and still dead; replayed again, the consumer's inbox drops the second copy (same id).

In all-in-one mode the in-process bus appends dead letters to a file (``dead-letters.jsonl``); replaying one
hands it to the service's processor in this process and appends a ``replayed`` record, so the file only grows
and the running platform's appends never race a rewrite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kombu import Connection, Message, Producer, Queue

from realname_kit.bus.processing import Delivery, MessageProcessor
from realname_kit.timeutil import utcnow

REASON_HEADER, DEAD_AT_HEADER, REPLAYS_HEADER = "x-realname-reason", "x-realname-dead-at", "x-realname-replays"
# What the broker and the consumer wrote about the death: a replayed message starts clean.
_DEATH_HEADERS = ("x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
                  "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason", "x-delivery-count",
                  REASON_HEADER, DEAD_AT_HEADER, "x-realname-queue")


@dataclass(frozen=True)
class DeadLetter:
    queue: str                 # the queue it died in, and goes back to
    message_id: str
    event_type: str
    reason: str
    count: int                 # how many times it died (the broker's x-death count; 1 for the consumer's)
    first_death: str           # when it first died (ISO 8601), as far as anyone recorded
    headers: dict[str, Any] = field(repr=False)
    body: bytes = field(repr=False)  # may hold personal data: shown only when asked for


def describe(queue: str, headers: dict[str, Any], properties: dict[str, Any], body: bytes) -> DeadLetter:
    envelope = _json(body)
    deaths = headers.get("x-death") or [{}]
    first = deaths[-1] if isinstance(deaths, list) and deaths else {}  # the broker puts the latest first
    reason = headers.get(REASON_HEADER) or headers.get("x-first-death-reason") or first.get("reason") or "unknown"
    when = headers.get(DEAD_AT_HEADER) or first.get("time")
    return DeadLetter(
        queue=queue, message_id=str(properties.get("message_id") or envelope.get("id") or "?"),
        event_type=str(properties.get("type") or envelope.get("type") or "?"), reason=str(reason),
        count=sum(int(d.get("count", 1)) for d in deaths if isinstance(d, dict)) if headers.get("x-death") else 1,
        first_death=when.isoformat() if isinstance(when, datetime) else str(when or "?"),
        headers=headers, body=body)


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class AmqpDeadLetters:
    """The dead-letter queues of one service's queues (``queues``: the queue names) on the broker."""

    def __init__(self, url: str, queues: Sequence[str]) -> None:
        self.url, self.queues = url, list(queues)

    def browse(self, queue: str | None = None, limit: int = 1000) -> list[DeadLetter]:
        found: list[DeadLetter] = []
        with self._channel() as channel:
            for name in self._chosen(queue):
                found += [describe(name, m.headers or {}, m.properties or {}, _body(m))
                          for m in _take(channel, name, limit - len(found))]
        return found  # the channel closed unacknowledged: every message is back where it was

    def replay(self, queue: str, message_id: str | None = None) -> list[DeadLetter]:
        """Replay one message of ``queue`` (by id), or all of them (``message_id`` None): each is confirmed in
        its queue before it leaves the dead-letter queue."""
        replayed: list[DeadLetter] = []
        with self._channel() as channel:
            producer = Producer(channel)  # the default exchange: to the one queue, by its name
            for message in _take(channel, self._chosen(queue)[0], limit=None):
                letter = describe(queue, message.headers or {}, message.properties or {}, _body(message))
                if message_id is not None and letter.message_id != message_id:
                    continue  # left unacknowledged: back in the dead-letter queue when the channel closes
                _republish(producer, queue, message)
                message.ack()
                replayed.append(letter)
        return replayed

    def _chosen(self, queue: str | None) -> list[str]:
        if queue is None:
            return self.queues
        if queue not in self.queues:
            raise LookupError(f"no queue {queue!r}; this service has {', '.join(self.queues)}")
        return [queue]

    @contextmanager
    def _channel(self) -> Iterator[Any]:
        with Connection(self.url, connect_timeout=10, transport_options={"confirm_publish": True}) as conn:
            conn.connect()
            channel = conn.channel()
            try:
                yield channel
            finally:
                channel.close()


def _take(channel: Any, queue: str, limit: int | None) -> Iterator[Message]:
    """The messages of ``<queue>.dead`` as they are, each unacknowledged (so each is taken once)."""
    dead = Queue(f"{queue}.dead", no_declare=True)(channel)
    taken = 0
    while limit is None or taken < limit:
        message = dead.get(no_ack=False)
        if message is None:
            return
        taken += 1
        yield message


def _body(message: Message) -> bytes:
    body = message.body
    return body if isinstance(body, bytes) else str(body).encode()


def _republish(producer: Producer, queue: str, message: Message) -> None:
    headers = {k: v for k, v in (message.headers or {}).items() if k not in _DEATH_HEADERS}
    headers[REPLAYS_HEADER] = int(headers.get(REPLAYS_HEADER, 0)) + 1
    props: dict[str, Any] = message.properties or {}
    # Publisher confirms are on (transport option): publish returns once the broker has the copy, else raises.
    producer.publish(_body(message), routing_key=queue, headers=headers, delivery_mode=2, retry=False,
                     content_type=props.get("content_type") or "application/json", content_encoding="utf-8",
                     message_id=props.get("message_id"), type=props.get("type"),
                     correlation_id=props.get("correlation_id"))


class FileDeadLetters:
    """All-in-one mode's dead letters: the in-process bus's file, replayed through this process's processors."""

    def __init__(self, path: Path, processors: Callable[[], Sequence[MessageProcessor]]) -> None:
        """``processors``: made only for a replay (a listing opens no database)."""
        self.path, self._processors = path, processors

    def browse(self, queue: str | None = None, limit: int = 1000) -> list[DeadLetter]:
        letters = [x for x in self._current().values() if queue is None or x.queue == queue]
        return letters[:limit]

    def replay(self, queue: str, message_id: str | None = None) -> list[DeadLetter]:
        letters = self.browse(queue, limit=10**9)
        if not letters:
            return []
        processors = {p.queue: p for p in self._processors()}
        processor = processors.get(queue)
        if processor is None:
            raise LookupError(f"no queue {queue!r}; this service has {', '.join(processors)}")
        replayed = []
        for letter in letters:
            if message_id is not None and letter.message_id != message_id:
                continue
            # Handled here (the inbox drops it if a crash made us hand it over twice); dead again, it is
            # appended again, as the bus would, and counted.
            outcome = processor.process([Delivery(letter.body)])[0]
            if outcome.dead_reason is None:
                self._append({"replayed": letter.message_id, "queue": queue, "at": utcnow().isoformat()})
            else:
                self._append({"queue": queue, "reason": outcome.dead_reason, "at": utcnow().isoformat(),
                              "body": letter.body.decode()})
            replayed.append(letter)
        return replayed

    def _current(self) -> dict[tuple[str, str], DeadLetter]:
        letters: dict[tuple[str, str], DeadLetter] = {}
        if not self.path.exists():
            return letters
        for line in self.path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if "replayed" in record:
                letters.pop((record["queue"], record["replayed"]), None)
                continue
            body = record["body"].encode()
            letter = describe(record["queue"], {REASON_HEADER: record["reason"], DEAD_AT_HEADER: record["at"]},
                              {}, body)
            earlier = letters.get((letter.queue, letter.message_id))
            if earlier is not None:  # died again: one dead letter, counted, first death kept
                letter = DeadLetter(letter.queue, letter.message_id, letter.event_type, letter.reason,
                                    earlier.count + 1, earlier.first_death, letter.headers, body)
            letters[(letter.queue, letter.message_id)] = letter
        return letters

    def _append(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
