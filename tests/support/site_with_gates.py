"""A building site on the distributed platform, with face gates of the three kinds: what gate e2e tests and
``bench/gates.py`` stand on.

``open_site`` starts ``./realname up --distributed`` on the test's stack, logs the general contractor in, registers
a project with its project account (which holds manage_gates, R32), a site bridge and the gates, and starts the
simulated terminals (native ones on AMQP; ISAPI ones the bridge calls; ZKTeco ones polling the bridge). Workers are
put on the project with ``tests/support/gate_crews.py``. Readers: ``gate_sync`` (the platform's view) and each
gate's ``listing()`` (the terminal's own).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from sqlalchemy import text

from realname_launcher.demo_site.bridge import BridgeProcess
from tests.support.faultproxy import FaultProxy
from tests.support.gate_crews import ATTENDANCE, Crew, login, ok
from tests.support.gate_devices import SimGate
from tests.support.gate_install import Layout, install, stop_devices
from tests.support.infra import free_port
from tests.support.launched import ApiClient, Launched, service_ports
from tests.support.stack import Stack, eventually

GC = ("9131000013221158XC", "上海建工集团")
PASSWORD = "correct horse 42"


@dataclass
class Site:
    stack: Stack
    launched: Launched
    gc: ApiClient
    pm: ApiClient
    project_id: str
    proxy: FaultProxy | None = None  # every AMQP connection of the platform and its gates passes it
    gates: list[SimGate] = field(default_factory=list)
    bridges: list[BridgeProcess] = field(default_factory=list)
    crews: list[Crew] = field(default_factory=list)  # every crew hired here (``gate_crews.hire`` adds it)

    def gate(self, kind: str) -> SimGate:
        return next(g for g in self.gates if g.kind == kind)

    def keys(self, worker_ids: Iterable[str]) -> dict[str, str]:
        """Worker id -> the key every gate knows them by (attendance allocates it when it first learns them)."""
        ids = list(worker_ids)
        with self.stack.db("attendance").engine.connect() as conn:
            rows = conn.execute(text("SELECT worker_id, key FROM workers WHERE worker_id = ANY(:ids)"), {"ids": ids})
            return {str(w): str(k) for w, k in rows}

    def expected(self) -> dict[str, str]:
        """What every gate of the site should hold: key -> face sha256 of each admitted worker with a face."""
        wanted = {w: crew.faces[w] for crew in self.crews for w in crew.assignments if w in crew.faces}
        keys = self.keys(wanted)
        return {keys[w]: sha for w, sha in wanted.items()}

    def gate_sync(self) -> dict[str, Any]:
        """``GET gate-sync``: the per-gate summary (and the first page of pairs)."""
        return dict(ok(self.pm.call("GET", f"{ATTENDANCE}/projects/{self.project_id}/gate-sync")))

    def gate_summary(self, gate: SimGate) -> dict[str, Any]:
        return dict(next(g for g in self.gate_sync()["gates"] if g["gate_id"] == gate.id))

    def pairs(self, **filters: str) -> list[dict[str, Any]]:
        """Every (gate, worker) pair of ``gate-sync`` that ``filters`` select (gate_id, worker_id, state,
        reason), page after page, each with its worker's id and key."""
        rows: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = ok(self.pm.call("GET", f"{ATTENDANCE}/projects/{self.project_id}/gate-sync", params={
                **filters, "limit": 500, **({"cursor": cursor} if cursor else {})}))
            rows += [{**pair, "worker_id": worker["worker_id"], "key": worker["key"]} for worker in page["items"]
                     for pair in worker["gates"] if pair["gate_id"] == filters.get("gate_id", pair["gate_id"])]
            cursor = page.get("next_cursor")
            if not cursor:
                return rows

    def resync(self, gate: SimGate) -> int:
        done = ok(self.pm.call("POST", f"{ATTENDANCE}/projects/{self.project_id}/gate-sync/resync",
                               json={"gate_id": gate.id}), 202)
        return int(done["pairs"])


def platform_env(stack: Stack, amqp: str, **settings: str) -> dict[str, str]:
    """The launcher's settings: its own ports, limits a single client does not trip, and access tokens that outlive
    a long run (the parties log in once, at the start; 300 s tokens would expire under a benchmark)."""
    return stack.env(**{"REALNAME_GATEWAY_PORT": str(free_port()), "REALNAME_AMQP_URL": amqp,
                        "REALNAME_ACCESS_TOKEN_SECONDS": "7200",
                        "REALNAME_RATE_LIMIT_WRITE": "1000000/minute", "REALNAME_RATE_LIMIT_LOGIN": "100000/minute",
                        **service_ports(), **settings})


@contextmanager
def open_site(stack: Stack, directory: Path, layout: Layout | None = None, *, through_proxy: bool = False,
              settings: dict[str, str] | None = None, scale: dict[str, int] | None = None) -> Iterator[Site]:
    """The platform (with ``settings``: REALNAME_* values of the caller's own; ``scale``: copies of process kinds,
    as ``--scale``), the project and its gates, all running; everything stopped afterwards."""
    with ExitStack() as cleanup:
        proxy = cleanup.enter_context(_proxy(stack.amqp)) if through_proxy else None
        amqp = _through(stack.amqp, proxy.port) if proxy else stack.amqp
        env = platform_env(stack, amqp, **(settings or {}))
        scaled = [f"--scale={kind}={n}" for kind, n in (scale or {}).items()]
        launched = Launched(["up", "--distributed", *scaled], env, directory / "launcher.log")
        cleanup.callback(_stop, launched)
        launched.wait_ready(timeout=180)
        site = new_project(stack, launched)
        site.proxy = proxy
        cleanup.callback(stop_devices, site)
        install(site, directory, layout or Layout())
        yield site


def new_project(stack: Stack, launched: Launched, gc: ApiClient | None = None) -> Site:
    """A project of the general contractor (logged in unless given) with its project account; no gates yet."""
    gc = gc or login(launched, *GC, "general_contractor")
    project = eventually(lambda: _created(gc.call("POST", "/api/v1/assignment/projects", json={
        "name": "张江科学城人才公寓", "registration_number": f"GATES-{uuid.uuid4().hex[:10]}",
        "address": "上海市浦东新区张江路1号", "planned_start": "2026-01-01", "planned_completion": "2028-06-30"})),
        timeout=30, interval=0.2)
    username = f"pm.{uuid.uuid4().hex[:8]}"
    manager = ok(gc.call("PUT", f"/api/v1/auth/projects/{project['id']}/manager", json={"account": {
        "username": username, "display_name": "项目经理", "password": PASSWORD}}), 200, 201)
    token = ok(requests.post(f"{launched.url}/api/v1/auth/login/password", timeout=20, json={
        "username": manager["account"]["login"], "password": PASSWORD}))["access_token"]
    return Site(stack, launched, gc, ApiClient(launched.url, token), str(project["id"]))


def _stop(launched: Launched) -> None:
    if launched.proc.poll() is None:
        launched.interrupt()


@contextmanager
def _proxy(amqp: str) -> Iterator[FaultProxy]:
    parts = urlsplit(amqp)
    with FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5672) as proxy:
        yield proxy


def _through(amqp: str, port: int) -> str:
    parts = urlsplit(amqp)
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    return urlunsplit((parts.scheme, f"{netloc}:{port}", parts.path, parts.query, ""))


def _created(response: requests.Response) -> Any:
    return response.json() if response.status_code == 201 else None
