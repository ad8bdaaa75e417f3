"""``/healthz`` (the process is alive), ``/readyz`` (what the service needs answers), ``/metrics``.

Ready means: the database and the broker answer, and the processes the service needs run. In
distributed mode the broker counts them: a consumer on each of the service's queues, a relay on its
presence queue (``realname_kit.bus.liveness``); the broker drops them the moment such a process dies.
In all-in-one mode the bus's threads of this process must have gone round lately.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app

from realname_kit.auth import ANYONE, allow
from realname_kit.bus.liveness import HEARTBEATS, STALE_AFTER, Heartbeats
from realname_kit.bus.probe import BrokerProbe
from realname_kit.bus.topology import Topology, queues_of
from realname_kit.metrics import render_metrics
from realname_kit.problems import problem_response


def health_blueprint() -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    @allow(ANYONE)
    def healthz() -> Any:
        return {"status": "alive", "service": current_app.extensions["realname"].spec.name}

    @bp.get("/readyz")
    @allow(ANYONE)
    def readyz() -> Any:
        ctx = current_app.extensions["realname"]
        checks = readiness_checks(ctx.spec.name, ctx.db.ping, ctx.broker, ctx.topology)
        if all(v == "ok" for v in checks.values()):
            return {"status": "ready", "service": ctx.spec.name, "checks": checks}
        return problem_response(503, "not_ready", "A dependency does not answer",
                                service=ctx.spec.name, checks=checks,
                                message_zh="服务所依赖的数据库或消息服务暂时无法应答：请稍后重试。")

    @bp.get("/metrics")
    @allow(ANYONE)
    def metrics() -> Any:
        return render_metrics(current_app.extensions["realname"].collectors)

    return bp


def readiness_checks(service: str, ping_database: Callable[[], None], broker: BrokerProbe | None,
                     topology: Topology, heartbeats: Heartbeats = HEARTBEATS) -> dict[str, str]:
    checks = {"database": _check(ping_database)}
    if broker is None:  # all-in-one: the in-process bus is as alive as its threads
        checks["broker"] = "ok"
        if heartbeats.expected:
            checks["bus"] = _check(lambda: _bus_threads(heartbeats))
        return checks
    checks["broker"] = _check(broker.ping)
    if checks["broker"] != "ok":
        return checks  # nothing more can be learnt from it
    if queues_of(service):
        checks["consumer"] = _check(lambda: _consumed(broker, topology, service))
    checks["relay"] = _check(lambda: _relayed(broker, topology, service))
    return checks


class NotRunning(Exception):
    """A process the service needs is missing or stuck; the message says which."""


def _consumed(broker: BrokerProbe, topology: Topology, service: str) -> None:
    idle = [name for name in (topology.queue_name(q) for q in queues_of(service)) if not broker.consumers(name)]
    if idle:
        raise NotRunning(f"missing: no consumer of {service} is running (nobody consumes {', '.join(idle)})")


def _relayed(broker: BrokerProbe, topology: Topology, service: str) -> None:
    if not broker.consumers(topology.presence_queue(service, "relay").name):
        raise NotRunning(f"missing: no relay of {service} is running (its outbox is not published)")


def _bus_threads(heartbeats: Heartbeats) -> None:
    stale = heartbeats.stale(STALE_AFTER)
    if stale:
        raise NotRunning(f"stale: {', '.join(stale)} has not gone round for {STALE_AFTER:g} s")


def _check(probe: Callable[[], None]) -> str:
    try:
        probe()
    except NotRunning as exc:
        return str(exc)
    except Exception as exc:
        return f"failed: {type(exc).__name__}: {exc}"[:300]
    return "ok"
