"""Operable in production, on real PostgreSQL and RabbitMQ: the bus counted on the service's /metrics,
readiness that sees a dead consumer or relay, and a database outage answered 503 with Retry-After."""

from __future__ import annotations

import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from kombu import Connection, Producer
from sqlalchemy.engine import make_url

from realname_gateway.app import create_app as create_gateway
from realname_kit.bus.envelope import Envelope
from realname_kit.settings import Settings
from realname_registry.app import create_app
from realname_registry.models import OUTBOX
from tests.support.faultproxy import FaultProxy
from tests.support.infra import free_port
from tests.support.stack import Stack, eventually
from tests.support.tokens import bearer

PROJECTS = "projects"
PENDING = "SELECT count(*) FROM outbox WHERE published_at IS NULL"


@pytest.fixture
def metrics_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The registry's processes share one folder of metrics, as the launcher sets them up."""
    folder = tmp_path / "metrics" / "registry"
    folder.mkdir(parents=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))  # the web (this process) reads it
    return folder


@pytest.fixture
def registry(stack: Stack) -> Any:
    stack.migrate("registry")
    stack.declare()
    return create_app(stack.settings, stack.db("registry")).test_client()


def publish_project_event(stack: Stack, data: dict[str, Any]) -> None:
    envelope = Envelope(type="project.registered", source="assignment", data=data)
    with Connection(stack.amqp) as conn:
        Producer(conn.channel()).publish(envelope.to_json(), exchange=stack.topology.exchange("assignment"),
                                         routing_key="project.registered", content_type="application/json",
                                         delivery_mode=2)


def project(project_id: str) -> dict[str, Any]:
    return {"project_id": project_id, "name": "浦东新区保障房项目", "registration_number": f"RN-{project_id[:8]}",
            "general_contractor_id": str(uuid.uuid4()), "planned_completion": "2027-06-30"}


def sample(metrics: str, name: str, **labels: str) -> float | None:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in metrics.splitlines():
        if line.startswith((f"{name}{{", f"{name} ")):
            series, value = line.rsplit(" ", 1)
            found = series[len(name):].strip("{}")
            if ",".join(sorted(found.split(","))) == wanted:
                return float(value)
    return None


def test_handled_dead_lettered_and_relayed_messages_appear_on_the_services_metrics(
        stack: Stack, registry: Any, metrics_dir: Path) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    stack.spawn("consumer", "registry", **env)
    stack.spawn("relay", "registry", **env)
    queue = stack.queue_name("registry", PROJECTS)
    publish_project_event(stack, project(str(uuid.uuid4())))
    publish_project_event(stack, {"project_id": "no name, no number"})  # can never succeed: dead-lettered
    with stack.db("registry").transaction() as session:
        OUTBOX.record(session, "enterprise.registered", {"enterprise_id": str(uuid.uuid4())})

    def scraped() -> str | None:
        text: str = registry.get("/metrics").get_data(as_text=True)
        done = (sample(text, "realname_messages_total", queue=queue, outcome="handled") == 1.0
                and sample(text, "realname_messages_total", queue=queue, outcome="dead_lettered") == 1.0
                and sample(text, "realname_events_relayed_total", service="registry") == 1.0
                and sample(text, "realname_dead_letters", queue=f"{queue}.dead") == 1.0)
        return text if done else None
    text = eventually(scraped, timeout=30, interval=0.3)
    assert sample(text, "realname_messages_total", queue=queue, outcome="failed") == 1.0
    assert sample(text, "realname_outbox_lag_seconds", service="registry") == 0.0


def test_a_consumer_and_a_relay_of_their_own_serve_their_counters_on_their_metrics_port(
        stack: Stack, registry: Any) -> None:
    """Where they share no folder with the web (Kubernetes, compose): REALNAME_PROCESS_METRICS_PORT."""
    consumer_port, relay_port = free_port(), free_port()
    stack.spawn("consumer", "registry", REALNAME_PROCESS_METRICS_PORT=str(consumer_port))
    stack.spawn("relay", "registry", REALNAME_PROCESS_METRICS_PORT=str(relay_port))
    queue = stack.queue_name("registry", PROJECTS)
    publish_project_event(stack, project(str(uuid.uuid4())))
    with stack.db("registry").transaction() as session:
        OUTBOX.record(session, "enterprise.registered", {"enterprise_id": str(uuid.uuid4())})

    def scraped(port: int, name: str, **labels: str) -> float | None:
        try:
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except requests.ConnectionError:
            return None  # not listening yet
        return sample(text, name, **labels)
    eventually(lambda: scraped(consumer_port, "realname_messages_total", queue=queue, outcome="handled") == 1.0,
               timeout=30, interval=0.3)
    eventually(lambda: scraped(relay_port, "realname_events_relayed_total", service="registry") == 1.0,
               timeout=30, interval=0.3)


def test_outbox_lag_grows_while_no_relay_publishes(stack: Stack, registry: Any, metrics_dir: Path) -> None:
    with stack.db("registry").transaction() as session:
        OUTBOX.record(session, "enterprise.registered", {"enterprise_id": str(uuid.uuid4())})

    def lag() -> float:
        return sample(registry.get("/metrics").get_data(as_text=True), "realname_outbox_lag_seconds",
                      service="registry") or 0.0
    assert eventually(lambda: lag() >= 1.0, timeout=10, interval=0.2)
    stack.spawn("relay", "registry", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    eventually(lambda: stack.count("registry", PENDING) == 0, timeout=30)
    assert lag() == 0.0


def readiness(client: Any) -> tuple[int, dict[str, str]]:
    answer = client.get("/readyz")
    return answer.status_code, answer.get_json()["checks"]


def test_readiness_names_a_dead_consumer_or_relay_within_seconds_and_recovers(stack: Stack, registry: Any) -> None:
    consumer, relay = stack.spawn("consumer", "registry"), stack.spawn("relay", "registry")
    eventually(lambda: readiness(registry)[0] == 200, timeout=30, interval=0.2)
    assert readiness(registry)[1] == {"database": "ok", "broker": "ok", "consumer": "ok", "relay": "ok"}

    kill(consumer)
    _, checks = eventually(lambda: (r := readiness(registry))[0] == 503 and r, timeout=5, interval=0.1)
    assert checks["consumer"].startswith("missing: no consumer of registry is running"), checks
    assert checks["relay"] == "ok"
    stack.spawn("consumer", "registry")
    eventually(lambda: readiness(registry)[0] == 200, timeout=30, interval=0.2)

    kill(relay)
    _, checks = eventually(lambda: (r := readiness(registry))[0] == 503 and r, timeout=5, interval=0.1)
    assert checks["relay"].startswith("missing: no relay of registry is running"), checks
    assert checks["consumer"] == "ok"
    stack.spawn("relay", "registry")
    eventually(lambda: readiness(registry)[0] == 200, timeout=30, interval=0.2)


def test_the_platform_is_degraded_while_the_gateways_own_relay_is_dead(stack: Stack) -> None:
    stack.migrate("gateway")
    gateway = create_gateway(stack.settings, upstreams={}, db=stack.db("gateway")).test_client()
    relay = stack.spawn("relay", "gateway")
    eventually(lambda: gateway.get("/healthz").status_code == 200, timeout=30, interval=0.2)
    kill(relay)
    answer = eventually(lambda: (a := gateway.get("/healthz")).status_code == 503 and a, timeout=5, interval=0.1)
    assert answer.get_json()["status"] == "degraded"
    assert answer.get_json()["gateway"]["checks"]["relay"].startswith("missing: no relay of gateway is running")
    stack.spawn("relay", "gateway")
    eventually(lambda: gateway.get("/healthz").status_code == 200, timeout=30, interval=0.2)


def test_readiness_reuses_one_broker_connection(stack: Stack, registry: Any) -> None:
    for _ in range(20):
        registry.get("/readyz")
        registry.get("/metrics")
    assert registry.application.extensions["realname"].broker.connections_opened == 1


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
def cut_database(stack: Stack) -> Iterator[tuple[FaultProxy, Any]]:
    """The registry reaching its PostgreSQL through a TCP proxy that the test can cut."""
    stack.migrate("registry")
    url = make_url(stack.settings.database_url_for("registry"))
    with FaultProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        settings = Settings.from_env(stack.env(REALNAME_REGISTRY_DATABASE_URL=proxied))
        app = create_app(settings)
        yield proxy, app.test_client()
        app.extensions["realname"].db.dispose()


def test_a_registration_while_the_database_is_away_answers_503_with_retry_after_and_changes_nothing(
        stack: Stack, cut_database: tuple[FaultProxy, Any]) -> None:
    proxy, client = cut_database
    auth = bearer(stack.settings, "service")
    enterprise = {"name": "闽建劳务有限公司", "uscc": "91350100M000100Y43", "kind": "labour"}
    assert client.get("/api/v1/registry/enterprises", headers=auth).status_code == 200
    proxy.refuse(True)
    proxy.drop_connections()  # PostgreSQL restarting: open connections reset, new ones refused
    answer = client.post("/api/v1/registry/enterprises", json=enterprise, headers=auth)
    assert answer.status_code == 503, answer.get_json()
    assert answer.mimetype == "application/problem+json"
    assert answer.headers["Retry-After"] == "5"
    body = answer.get_json()
    assert body["reason"] == "unavailable"
    assert "send the same request again" in body["detail"]
    assert "秒后重新提交" in body["message_zh"]
    proxy.refuse(False)
    assert client.get("/api/v1/registry/enterprises", headers=auth).get_json()["items"] == []  # nothing changed
    assert client.post("/api/v1/registry/enterprises", json=enterprise, headers=auth).status_code == 201  # retried
