"""Where the tests find PostgreSQL and RabbitMQ, and how each test gets its own databases and names.

URLs come from the environment (defaulting to the local servers). Only when no URL is given, the local
server does not answer and a Docker engine does, testcontainers starts one. In CI a missing server is
a failure that says what to start, never a skip.
"""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import closing
from functools import cache
from urllib.parse import urlsplit

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/"
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/%2F"


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with closing(socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=2)):
            return True
    except OSError:
        return False


def _docker_answers() -> bool:
    try:
        import docker
        docker.from_env().ping()
    except Exception:
        return False
    return True


class MissingService(RuntimeError):
    pass


@cache
def postgres_server_url() -> str:
    given = os.environ.get("REALNAME_TEST_DATABASE_URL") or os.environ.get("REALNAME_DATABASE_URL")
    url = given or LOCAL_POSTGRES
    if _reachable(url):
        return url
    if not given and _docker_answers():
        from testcontainers.postgres import PostgresContainer
        container = PostgresContainer("postgres:15", driver="psycopg").start()
        return container.get_connection_url().rsplit("/", 1)[0] + "/"
    raise MissingService(f"PostgreSQL does not answer at {url}: start it "
                         "(pg_ctlcluster --skip-systemctl-redirect 15 main start) or set REALNAME_TEST_DATABASE_URL")


@cache
def amqp_url() -> str:
    given = os.environ.get("REALNAME_TEST_AMQP_URL") or os.environ.get("REALNAME_AMQP_URL")
    url = given or LOCAL_AMQP
    if _reachable(url):
        return url
    if not given and _docker_answers():
        from testcontainers.rabbitmq import RabbitMqContainer
        container = RabbitMqContainer("rabbitmq:3.13").start()
        host, port = container.get_container_host_ip(), container.get_exposed_port(5672)
        return f"amqp://guest:guest@{host}:{port}/%2F"
    raise MissingService(f"RabbitMQ does not answer at {url}: start it (rabbitmq-server -detached) "
                         "or set REALNAME_TEST_AMQP_URL")


def unique_prefix() -> str:
    """A fresh name prefix: databases ``rn_t<hex>_<service>``, exchanges and queues ``t<hex>.…``."""
    return f"t{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
