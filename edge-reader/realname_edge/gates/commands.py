"""Takes the bridge's commands from its own queue (``gate_protocol.command_queue``) and hands them on.

Each command is journalled (``CommandJournal.record_all``), then acked to the broker, then handed to the
dispatcher: a crash between the ack and the device doing it loses nothing (the journal hands it on again at start).
A redelivered command already journalled is acked and not done twice. The commands the broker handed over together
are journalled in one commit (each commit waits for the disk: one per command held a bridge of six busy gates to
about a hundred commands a second). A message that is not a command can never be
done: it is rejected without requeue (the platform's dead-letter queue keeps it). The prefetch window lets the
broker hand over the most urgent commands first (the queue's message priorities, R26) without one round trip per
command. The broker away → connect again after a growing pause; the drivers go on meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import pika
import pika.exceptions
from pika.adapters.utils.connection_workflow import AMQPConnectorException

from realname_codes.gate_protocol import Command, InvalidGateMessage, decode
from realname_edge.backoff import Backoff
from realname_edge.config import masked_url
from realname_edge.confirming import connection_parameters
from realname_edge.gates.dispatch import Dispatcher
from realname_edge.gates.journal import CommandJournal

PREFETCH = 20
_POLL = 0.5  # seconds between looks at the stop event while waiting for commands

log = logging.getLogger(__name__)


class CommandConsumer:
    def __init__(self, amqp_url: str, queue: str, journal: CommandJournal, dispatcher: Dispatcher, *,
                 prefetch: int = PREFETCH, timeout: float = 10, backoff: Backoff | None = None) -> None:
        self.queue = queue
        self.journal = journal
        self.dispatcher = dispatcher
        self.prefetch = prefetch
        self._where = f"{masked_url(amqp_url)}, queue {queue!r}"
        self._params = connection_parameters(amqp_url, f"site bridge commands {queue}", timeout)
        self._backoff = backoff or Backoff()

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop``; every broker failure is logged and followed by a growing pause."""
        while not stop.is_set():
            try:
                self._consume(stop)
            except (pika.exceptions.AMQPError, AMQPConnectorException, OSError, ValueError) as exc:
                delay = self._backoff.next_delay()
                log.warning("commands cannot be taken from %s (%r); trying again in %g s", self._where, exc, delay)
                stop.wait(delay)

    def _consume(self, stop: threading.Event) -> None:
        connection = pika.BlockingConnection(self._params)
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=self.prefetch)
            taken: list[tuple[Any, bytes]] = []
            channel.basic_consume(self.queue, lambda _ch, method, _props, body: taken.append((method, body)))
            self._backoff.reset()
            log.info("taking commands from %s", self._where)
            while not stop.is_set():
                connection.process_data_events(time_limit=_POLL)
                if taken:
                    self._take(channel, taken[:])
                    taken.clear()
        finally:
            if connection.is_open:
                with contextlib.suppress(pika.exceptions.AMQPError, OSError):
                    connection.close()

    def _take(self, channel: Any, deliveries: list[tuple[Any, bytes]]) -> None:
        commands: list[tuple[Any, Command, bytes]] = []
        for method, body in deliveries:
            try:
                _, command = decode(body)
                if not isinstance(command, Command):
                    raise InvalidGateMessage(f"a {type(command).__name__} is not a command")
            except InvalidGateMessage as exc:
                log.warning("a message on %s that is not a command is dead-lettered: %s", self.queue, exc)
                channel.basic_reject(method.delivery_tag, requeue=False)
                continue
            commands.append((method, command, body))
        fresh = self.journal.record_all([(command, body) for _, command, body in commands])
        for (method, command, _), new in zip(commands, fresh, strict=True):
            channel.basic_ack(method.delivery_tag)
            if new:
                self.dispatcher.submit(command)
            else:
                log.info("command %s was taken before; not done twice", command.command_id)
