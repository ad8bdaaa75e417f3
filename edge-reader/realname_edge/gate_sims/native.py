"""A native gate: an Android face terminal whose app speaks the platform's gate protocol straight to RabbitMQ.

It reads its own command queue (``gate_protocol.command_queue``: it never declares it, its account may not),
applies each command to its ``SimulatedDevice`` and publishes the ``gate.acknowledged``; it reports its health
(``gate.reported``) at start, on change and every ``report_every_s``; it publishes each recognition
(``gate.punched``). Everything goes to ``gates.events`` persistent, with ``user_id`` = its broker account and
publisher confirms. A command's delivery is acked only once the broker has confirmed its answer, so a crash or
a lost connection re-delivers it, and applying it again changes nothing.

The device's event memory is its spool: a punch made offline waits there and goes out, in order, when the
gate is back; the broker's confirm moves the gate's mark past it. One thread owns the connection (pika is not
thread-safe); ``punch`` from another thread only records the event, which that thread publishes within a tick.
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
from realname_edge.gate_sims.device import Recognition, SimulatedDevice
from realname_edge.gate_sims.native_commands import apply

SOURCE = "native-gate"
_TICK_S = 0.05  # how long the gate waits for a delivery before it looks at punches, reports and its switch
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
        self._reported: tuple[Any, ...] | None = None
        self._reported_at = 0.0
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
        return self._punch_of(self.device.recognise(worker_key))

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
                log.warning("native gate %s lost the broker, trying again in %.1f s: %r",
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
                if time.monotonic() - self._reported_at >= self.report_every_s or self._state() != self._reported:
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
            self._publish(channel, gp.PUNCHED, self._punch_of(event))
            self._published += 1

    def _report(self, channel: Any) -> None:
        state = self._state()
        people, faces, people_capacity, faces_capacity, model, firmware, offset = state
        report = gp.Report(device=self.device.serial, contact_at=gp.now_iso(), kind=gp.NATIVE, model=model,
                           firmware=firmware, people=people, faces=faces, people_capacity=people_capacity,
                           faces_capacity=faces_capacity, clock_offset_s=offset)
        self._publish(channel, gp.REPORTED, report)
        self._reported, self._reported_at = state, time.monotonic()

    def _state(self) -> tuple[Any, ...]:
        """What a report says, without the time of contact (cheap: asked every tick)."""
        device = self.device
        return (len(device.people), device.face_count(), device.people_capacity, device.faces_capacity,
                device.model, device.firmware, round(device.clock_drift_s, 1))

    def _publish(self, channel: Any, kind: str, message: gp.Ack | gp.Report | gp.Punch,
                 correlation_id: str | None = None) -> None:
        """Returns once the broker confirmed it; mandatory: a message no queue takes is an error, not a loss."""
        body = gp.encode(message, source=SOURCE, correlation_id=correlation_id)
        properties = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent, type=kind, app_id=SOURCE,
                                          content_type="application/json", user_id=self.account)
        channel.basic_publish(self.exchange, kind, body, properties, mandatory=True)
        self.sent[kind] += 1

    def _punch_of(self, event: Recognition) -> gp.Punch:
        at = event.at.isoformat()
        # The serial number wraps at 100000, so the device's time makes the key unique (a re-send is one punch).
        return gp.Punch(device=self.device.serial, worker_key=event.key, at=at,
                        event_key=f"{self.device.serial}:{event.serial_no}:{at}", verified_by=event.verified_by)


def _parameters(url: str, serial: str) -> pika.URLParameters:
    params = pika.URLParameters(url)
    params.heartbeat = _TIMEOUT_S
    params.blocked_connection_timeout = _TIMEOUT_S
    params.socket_timeout = params.stack_timeout = _TIMEOUT_S
    params.connection_attempts = 1  # the gate's own loop retries, with back-off
    params.client_properties = {"connection_name": f"native-gate {serial}"}
    return params
