"""All-in-one mode's gate side: gates are devices on a network, so they cannot live on the in-process bus.

The services stay one process on the in-process bus; what gates and site bridges send (``gates.events``) is
consumed from the gate broker (REALNAME_GATE_AMQP_URL) by the kit's own consumer and handed to the attendance
service's processors for those queues (the same handlers, the same inbox). The dispatcher, the reconciliation and
the device accounts use that broker too (``realname_attendance.settings.gate_broker_url``).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence

from kombu import Connection

from realname_attendance.handlers import GATES
from realname_attendance.settings import GATE_AMQP_URL, gate_broker_url
from realname_kit.bus.consumer import AmqpConsumer
from realname_kit.bus.processing import MessageProcessor
from realname_kit.bus.topology import QueueSpec, Topology
from realname_kit.settings import Settings
from realname_launcher.platform import log

Subscriptions = Sequence[tuple[QueueSpec, MessageProcessor]]


def from_gates(queue: QueueSpec) -> bool:
    """A queue only gates and site bridges publish to: it lives on the gate broker."""
    return bool(queue.bindings) and all(b.publisher == GATES for b in queue.bindings)


def split(subscriptions: Subscriptions) -> tuple[Subscriptions, Subscriptions]:
    """(the in-process bus's, the gate broker's)."""
    return ([s for s in subscriptions if not from_gates(s[0])], [s for s in subscriptions if from_gates(s[0])])


def with_gate_broker(settings: Settings) -> Settings:
    """The settings, without a gate broker when the one configured does not answer now: the platform still
    starts, says so once, and pairs stay pending (a restart with the broker up drives them)."""
    url = gate_broker_url(settings)
    if not url or _answers(url):
        return settings
    log.warning("gate_broker_unreachable", broker=_without_password(url),
                consequence="gates cannot be reached: their pairs stay pending until a restart with the broker up",
                advice="start RabbitMQ (./realname up does on this machine) or correct REALNAME_GATE_AMQP_URL")
    return dataclasses.replace(settings, env={**settings.env, GATE_AMQP_URL: ""})


def gate_consumer(settings: Settings, topology: Topology, subscriptions: Subscriptions,
                  stop: threading.Event) -> list[threading.Thread]:
    """The thread consuming the gate queues from the gate broker; none without a broker or gate queues."""
    url = gate_broker_url(settings)
    if not url or not subscriptions:
        return []
    consumer = AmqpConsumer(url, topology, "attendance", subscriptions,
                            prefetch=settings.consumer_prefetch_for("attendance"))
    return [threading.Thread(target=consumer.run, args=(stop,), name="attendance-gate-consumer", daemon=True)]


def _answers(url: str) -> bool:
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
        return True
    except Exception:
        return False


def _without_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"
