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

from realname_codes.gate_protocol import HIKVISION_ISAPI, NATIVE, ZKTECO_PUSH
from tests.support.faultproxy import FaultProxy
from tests.support.gate_crews import ATTENDANCE, Crew, login, ok
from tests.support.gate_devices import BridgeProcess, SimGate, register_bridge, register_gate
from tests.support.infra import free_port
from tests.support.launched import ApiClient, Launched, service_ports
from tests.support.stack import Stack, eventually

GC = ("9131000013221158XC", "上海建工集团")
PASSWORD = "correct horse 42"
ISAPI_PASSWORD = "Hik12345+"


@dataclass(frozen=True)
class Layout:
    """How many gates of each kind, behind how many bridges (vendor gates are dealt to the bridges in turn)."""

    native: int = 1
    isapi: int = 1
    zkteco: int = 1
    bridges: int = 1
    isapi_latency_s: float = 0.0
    zk_delay_s: float = 0.3  # a real terminal polls every 2-60 s; tests cap it
    report_every_s: float = 5.0


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
    return stack.env(**{"REALNAME_GATEWAY_PORT": str(free_port()), "REALNAME_AMQP_URL": amqp,
                        "REALNAME_RATE_LIMIT_WRITE": "1000000/minute", "REALNAME_RATE_LIMIT_LOGIN": "100000/minute",
                        **service_ports(), **settings})


@contextmanager
def open_site(stack: Stack, directory: Path, layout: Layout = Layout(), *, through_proxy: bool = False,
              settings: dict[str, str] | None = None) -> Iterator[Site]:
    """The platform (with ``settings``: REALNAME_* values of the caller's own), the project and its gates, all
    running; everything stopped afterwards."""
    with ExitStack() as cleanup:
        proxy = cleanup.enter_context(_proxy(stack.amqp)) if through_proxy else None
        amqp = _through(stack.amqp, proxy.port) if proxy else stack.amqp
        env = platform_env(stack, amqp, **(settings or {}))
        launched = Launched(["up", "--distributed"], env, directory / "launcher.log")
        cleanup.callback(_stop, launched)
        launched.wait_ready(timeout=180)
        site = new_project(stack, launched)
        site.proxy = proxy
        cleanup.callback(_stop_devices, site)
        install(site, directory, layout)
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


def install(site: Site, directory: Path, layout: Layout) -> list[SimGate]:
    """Register and start the gates of ``layout`` (and their bridges: last, once the gates behind them are in
    their files); the new gates."""
    from realname_edge.gate_sims.isapi import IsapiTerminal
    from realname_edge.gate_sims.native import NativeGate
    from realname_edge.gate_sims.zkteco import ZkTerminal
    prefix = site.stack.settings.bus_prefix
    bridges = [register_bridge(site.pm, site.project_id, directory / f"bridge{n}", prefix)
               for n in range(layout.bridges if layout.isapi + layout.zkteco else 0)]
    site.bridges += bridges
    before = len(site.gates)
    for _ in range(layout.native):
        made, device = register_gate(site.pm, site.project_id, NATIVE)
        credentials = made["credentials"]
        terminal = NativeGate(device, credentials["amqp_url"], credentials["account"], prefix=prefix,
                              report_every_s=layout.report_every_s)
        terminal.start()
        site.gates.append(SimGate(str(made["id"]), NATIVE, device.serial, device, terminal))
    vendor = [HIKVISION_ISAPI] * layout.isapi + [ZKTECO_PUSH] * layout.zkteco
    for n, kind in enumerate(vendor):
        bridge = bridges[n % len(bridges)]
        made, device = register_gate(site.pm, site.project_id, kind, bridge)
        gate = SimGate(str(made["id"]), kind, device.serial, device, bridge=bridge)
        entry: dict[str, Any] = {"serial": device.serial, "kind": kind, "direction": "both"}
        if kind == HIKVISION_ISAPI:
            gate.terminal = IsapiTerminal(device, password=ISAPI_PASSWORD, latency_s=layout.isapi_latency_s)
            gate.terminal.start()
            entry.update(address=gate.terminal.url, username="admin", password=ISAPI_PASSWORD)
        bridge.gates.append(entry)
        site.gates.append(gate)
    for bridge in bridges:
        bridge.start()
    new = site.gates[before:]
    for gate in new:
        if gate.kind == ZKTECO_PUSH and gate.bridge is not None:
            gate.terminal = ZkTerminal(gate.device, f"{gate.bridge.public_url}/iclock", delay_s=layout.zk_delay_s)
            gate.terminal.start()
    return new


def _stop_devices(site: Site) -> None:
    for gate in site.gates:
        gate.stop()
    for bridge in site.bridges:
        bridge.stop()


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
