"""A distributed-mode environment of its own for one test: databases, topology, settings, processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kombu import Connection
from sqlalchemy import text

from realname_kit.bus.broker_accounts import RabbitManagement
from realname_kit.bus.topology import Topology, declared_queues
from realname_kit.db import Database, drop_database
from realname_kit.migrate import upgrade
from realname_kit.service import load_spec
from realname_kit.settings import SERVICES, Settings
from tests.support.infra import amqp_url, postgres_server_url, unique_prefix


@dataclass
class Stack:
    """Settings for real PostgreSQL and RabbitMQ under a prefix of this test's own."""

    data_dir: Path
    prefix: str = field(default_factory=unique_prefix)
    amqp: str = field(default_factory=amqp_url)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _dbs: dict[str, Database] = field(default_factory=dict)

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REALNAME_")}
        env.update({
            "REALNAME_DATA_DIR": str(self.data_dir),
            "REALNAME_DATABASE_URL": postgres_server_url(),
            "REALNAME_DATABASE_PREFIX": f"rn_{self.prefix}_",
            "REALNAME_AMQP_URL": self.amqp,
            "REALNAME_BUS_PREFIX": f"{self.prefix}.",
            "REALNAME_LOG_FORMAT": "json",
            "REALNAME_RELAY_IDLE_SECONDS": "0.02",
        })
        env.update(overrides)
        return env

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.env())

    @property
    def topology(self) -> Topology:
        return Topology(self.settings.bus_prefix, self.settings.delivery_limit)

    def db(self, service: str) -> Database:
        if service not in self._dbs:
            self._dbs[service] = Database(self.settings.database_url_for(service))
        return self._dbs[service]

    def migrate(self, *services: str) -> None:
        for service in services or SERVICES:
            upgrade(load_spec(service), self.settings.database_url_for(service))

    def declare(self) -> None:
        with Connection(self.amqp) as conn:
            self.topology.declare(conn)

    def spawn(self, command: str, service: str, **env: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-m", "realname_kit.cli", command, service],
                                env=self.env(**env))
        self.processes.append(proc)
        return proc

    def queue_depth(self, queue: str) -> int:
        with Connection(self.amqp) as conn:
            _, count, _ = conn.default_channel.queue_declare(queue=queue, passive=True)
            return int(count)

    def queue_consumers(self, queue: str) -> int:
        with Connection(self.amqp) as conn:
            _, _, consumers = conn.default_channel.queue_declare(queue=queue, passive=True)
            return int(consumers)

    def queue_name(self, consumer: str, purpose: str) -> str:
        spec = next(q for q in declared_queues() if q.consumer == consumer and q.purpose == purpose)
        return self.topology.queue_name(spec)

    def count(self, service: str, sql: str, **params: Any) -> int:
        with self.db(service).engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())

    def rows(self, service: str, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.db(service).engine.connect() as conn:
            return [dict(row) for row in conn.execute(text(sql), params).mappings()]

    def teardown(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for db in self._dbs.values():
            db.dispose()
        for service in (*SERVICES, "gateway"):
            drop_database(self.settings.database_url_for(service))
        with Connection(self.amqp) as conn:
            self.topology.delete(conn)
        remove_broker_users(self.amqp, self.settings.bus_prefix)


def remove_broker_users(amqp: str, prefix: str) -> None:
    """The broker accounts a test run made, and their queues (their names carry the bus prefix)."""
    if not prefix:
        raise ValueError("without a prefix this would remove every broker account")
    management = RabbitManagement.for_amqp(amqp)
    for name in management.usernames():
        if name.startswith(prefix):
            management.remove(name)
    for queue in management.queue_names():  # the gates' command queues, made with their accounts
        if queue.startswith(prefix):
            management.delete_queue(queue)


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; fail with its last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"not within {timeout}s; last value: {last!r}")
