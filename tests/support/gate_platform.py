"""The platform's side of a site bridge, as the attendance service sets it up, on the real RabbitMQ of this
machine: ``<prefix>gates.events`` with a queue taking every gate message, the commands exchange and the bridge's
own priority queue. Commands are published as the platform publishes them; what arrives is read back."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pika
import requests

from realname_codes.gate_protocol import (
    ENROL,
    INBOUND_TYPES,
    Command,
    command_queue,
    command_queue_arguments,
    commands_exchange,
    encode,
    exchange_in,
)
from tests.support.infra import amqp_url, free_port

WAIT = 60.0  # seconds; generous for a loaded machine, every wait polls


@dataclass
class GatePlatform:
    channel: Any
    prefix: str
    account: str
    events_queue: str
    received: list[tuple[Any, Any, dict[str, Any]]] = field(default_factory=list)  # (method, properties, envelope)

    @property
    def commands_queue(self) -> str:
        return command_queue(self.account, self.prefix)

    def bind_events_queue(self) -> None:
        self.channel.queue_declare(self.events_queue, durable=True)
        for kind in INBOUND_TYPES:
            self.channel.queue_bind(self.events_queue, exchange_in(self.prefix), routing_key=kind)

    def send(self, command: Command) -> None:
        self.channel.basic_publish(commands_exchange(self.prefix), self.account, encode(command, source="attendance"),
                                   pika.BasicProperties(delivery_mode=2, priority=command.priority))

    def drain(self) -> list[tuple[Any, Any, dict[str, Any]]]:
        while True:
            method, properties, body = self.channel.basic_get(self.events_queue, auto_ack=True)
            if method is None:
                return self.received
            self.received.append((method, properties, json.loads(body)))

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [envelope["data"] for method, _, envelope in self.drain() if method.routing_key == kind]

    def acked_ids(self) -> list[str]:
        return [ack["command_id"] for ack in self.of_type("gate.acknowledged")]


def platform_for(prefix: str) -> Iterator[GatePlatform]:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url()))
    channel = connection.channel()
    account = urlsplit(amqp_url()).username or "guest"
    platform = GatePlatform(channel, prefix, account, f"{prefix}attendance.gate-events")
    channel.exchange_declare(exchange_in(prefix), exchange_type="topic", durable=True)
    channel.exchange_declare(commands_exchange(prefix), exchange_type="direct", durable=True)
    channel.queue_declare(platform.commands_queue, durable=True, arguments=command_queue_arguments())
    channel.queue_bind(platform.commands_queue, commands_exchange(prefix), routing_key=account)
    try:
        yield platform
    finally:
        for queue in (platform.commands_queue, platform.events_queue):
            channel.queue_delete(queue)
        for exchange in (exchange_in(prefix), commands_exchange(prefix)):
            channel.exchange_delete(exchange)
        connection.close()


def enrol(device: str, n: int) -> Command:
    return Command(command_id=str(uuid.uuid4()), op=ENROL, device=device, sequence=n, worker_key=f"{1000 + n}",
                   name=f"工人{n}")


def bridge_file(folder: Path, prefix: str, serials: list[str], *, url: str = "", **options: Any) -> Path:
    """The bridge's TOML file: every gate a zkteco-push (the fake driver stands in for it)."""
    port = free_port()
    lines = [f"amqp_url = {json.dumps(url or amqp_url())}", f"prefix = {json.dumps(prefix)}",
             f"spool = {json.dumps(str(folder / 'gates-spool.sqlite'))}", f'listen = "127.0.0.1:{port}"',
             f'public_url = "http://127.0.0.1:{port}"']
    for serial in serials:
        lines += ["[[gates]]", f'serial = "{serial}"', 'kind = "zkteco-push"', "[gates.options]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in options.items()]
    path = folder / "gates.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def url_with_password(password: str) -> str:
    parts = urlsplit(amqp_url())
    login = f"{quote(parts.username or '', safe='')}:{quote(password, safe='')}@"
    return urlunsplit((parts.scheme, f"{login}{parts.hostname}:{parts.port or 5672}", parts.path, "", ""))


def close_connections(named: str) -> int:
    """Close, through the management API, every broker connection whose client name holds ``named``."""
    parts = urlsplit(amqp_url())
    base, auth = f"http://{parts.hostname}:15672/api", (parts.username or "guest", parts.password or "guest")
    closed = 0
    for connection in requests.get(f"{base}/connections", auth=auth, timeout=5).json():
        if named in str(connection.get("client_properties", {}).get("connection_name", "")):
            requests.delete(f"{base}/connections/{quote(connection['name'], safe='')}", auth=auth, timeout=5)
            closed += 1
    return closed


def eventually(condition: Callable[[], Any], what: str, wait: float = WAIT) -> Any:
    deadline = time.monotonic() + wait
    while not (result := condition()):
        assert time.monotonic() < deadline, f"waited {wait:g} s for {what}"
        time.sleep(0.05)
    return result


__all__ = ["GatePlatform", "bridge_file", "close_connections", "enrol", "eventually", "platform_for",
           "url_with_password"]
