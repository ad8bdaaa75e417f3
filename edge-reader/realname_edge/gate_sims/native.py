"""A native gate: an Android face terminal whose app speaks the platform's gate protocol straight to RabbitMQ.

It reads its own command queue (never declaring it: its account may not), applies each command to its
``SimulatedDevice``, and publishes to ``gates.events`` (persistent, ``user_id`` = its account, confirmed) the
answer, its health (at start, on change, every ``report_every_s``) and each recognition. A command's delivery is
acked only once the broker confirmed the answer: a crash re-delivers it, and applying it again changes nothing.

The device's event memory is its spool: a punch made offline waits there and goes out in order when the gate is
back. One thread owns the connection (pika is not thread-safe); ``punch`` only records the event.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter, deque
from typing import Any

import pika
import pika.exceptions
from pika.adapters.utils.connection_workflow import AMQPConnectorException

from realname_codes import gate_protocol as gp
from realname_edge.gate_sims.device import SimulatedDevice
from realname_edge.gate_sims.native_commands import apply
from realname_edge.gate_sims.native_messages import Health, health_of, punch_of, report_of

SOURCE = "native-gate"
_TICK_S = 0.05  # how long the gate waits for a delivery before it looks at punches, reports and its switch
_LOOK_EVERY_S = 0.25  # how often it compares its health with the last report (counting faces costs a pass)
_FIRST_BACKOFF_S, _MAX_BACKOFF_S = 0.2, 5.0
_TIMEOUT_S = 10  # heartbeat, socket and blocked-connection timeouts: a silent broker is noticed within ~15 s
_BROKEN = (pika.exceptions.AMQPError, AMQPConnectorException, OSError, ValueError)  # ValueError: see publisher

log = logging.getLogger(__name__)


class NativeGate:
    def __init__(self, device: SimulatedDevice, amqp_url: str, account: str, *, prefix: str = "",
                 report_every_s: float = 30, prefetch: int = 50) -> None:
        self.device = device
        self.account = account
        self.queue, self.exchange = gp.command_queue(account, prefix), gp.exchange_in(prefix)
        self.report_every_s, self.prefetch = report_every_s, prefetch
        # What the broker has confirmed: acks by (op, "done" or the reason), messages by type, connections made.
        self.acked: Counter[tuple[str, str]] = Counter()
        self.sent: Counter[str] = Counter()
        self.connections = 0
        self._params = _parameters(amqp_url, device.serial)
        self._published = 0  # the device's events the broker has confirmed, oldest first
        self._reported: Health | None = None
        self._reported_at = self._looked_at = 0.0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=f"native-gate {self.device.serial}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def punch(self, worker_key: str) -> gp.Punch:
        """Someone is recognised: the event is in the device's memory now, on the broker within a tick if online."""
        return punch_of(self.device, self.device.recognise(worker_key))

    # --- the gate's own thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        backoff = _FIRST_BACKOFF_S
        while not self._stopping.is_set():
            if not self.device.online:  # switched off: no connection at all; commands wait in its queue
                self._stopping.wait(_TICK_S)
                continue
            made = self.connections
            try:
                self._session()
            except _BROKEN as exc:
                log.warning("native gate %s: broker trouble, trying again in %.1f s: %r",
                            self.device.serial, backoff, exc)
            else:
                continue
            backoff = _FIRST_BACKOFF_S if self.connections > made else min(backoff * 2, _MAX_BACKOFF_S)
            self._stopping.wait(backoff)

    def _session(self) -> None:
        """One connection, until the device goes offline or the gate stops; raises when the broker goes away."""
        try:
            connection = pika.BlockingConnection(self._params)
        except ValueError as exc:  # pika 1.4: the peer reset the socket right after the TCP connect
            raise pika.exceptions.AMQPConnectionError(f"connection reset while opening: {exc}") from exc
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            channel.basic_qos(prefetch_count=self.prefetch)
            deliveries: deque[tuple[Any, bytes]] = deque()
            channel.basic_consume(self.queue, lambda _ch, method, _props, body: deliveries.append((method, body)))
            self.connections += 1
            self._report(channel)  # at start and on every coming back
            while not self._stopping.is_set() and self.device.online:
                self._flush_punches(channel)
                while deliveries and self.device.online:
                    self._handle(channel, *deliveries.popleft())
                if self._report_due():
                    self._report(channel)
                connection.process_data_events(time_limit=_TICK_S)
        finally:
            if connection.is_open:  # unacked deliveries go back to the queue with the connection
                with contextlib.suppress(*_BROKEN):
                    connection.close()

    def _handle(self, channel: Any, method: Any, body: bytes) -> None:
        try:
            envelope, command = gp.decode(body)
            if not isinstance(command, gp.Command):
                raise gp.InvalidGateMessage(f"not a command: {envelope.get('type')!r}")
        except gp.InvalidGateMessage as exc:  # never the body: it may hold a face photo
            log.warning("native gate %s refused a message: %s", self.device.serial, exc)
            channel.basic_nack(method.delivery_tag, requeue=False)  # dead-lettered where the queue has one
            return
        ack = apply(command, self.device)
        self._publish(channel, gp.ACKNOWLEDGED, ack, correlation_id=envelope.get("id"))
        channel.basic_ack(method.delivery_tag)  # only now: the answer is safe on the broker
        self.acked[command.op, ack.reason or ack.outcome] += 1

    def _flush_punches(self, channel: Any) -> None:
        for event in self.device.events_after(self._published):
            self._publish(channel, gp.PUNCHED, punch_of(self.device, event))
            self._published += 1

    def _report(self, channel: Any) -> None:
        health = health_of(self.device)
        self._publish(channel, gp.REPORTED, report_of(self.device, health))
        self._reported, self._reported_at = health, time.monotonic()

    def _report_due(self) -> bool:
        """On change, and every ``report_every_s`` while nothing changes (so the platform knows it is alive)."""
        now = time.monotonic()
        if now - self._reported_at >= self.report_every_s:
            return True
        if now - self._looked_at < _LOOK_EVERY_S:
            return False
        self._looked_at = now
        return health_of(self.device) != self._reported

    def _publish(self, channel: Any, kind: str, message: gp.Ack | gp.Report | gp.Punch,
                 correlation_id: str | None = None) -> None:
        """Returns once the broker confirmed it; mandatory: a message no queue takes is an error, not a loss."""
        body = gp.encode(message, source=SOURCE, correlation_id=correlation_id)
        properties = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent, type=kind, app_id=SOURCE,
                                          content_type="application/json", user_id=self.account)
        channel.basic_publish(self.exchange, kind, body, properties, mandatory=True)
        self.sent[kind] += 1


def _parameters(url: str, serial: str) -> pika.URLParameters:
    params = pika.URLParameters(url)
    params.heartbeat = _TIMEOUT_S
    params.blocked_connection_timeout = _TIMEOUT_S
    params.socket_timeout = params.stack_timeout = _TIMEOUT_S
    params.connection_attempts = 1  # the gate's own loop retries, with back-off
    params.client_properties = {"connection_name": f"native-gate {serial}"}
    return params
