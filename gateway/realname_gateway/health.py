"""The platform's readiness: every upstream's ``/readyz``, asked in parallel."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from realname_gateway.fanout import Answer
from realname_gateway.upstream import UpstreamError, UpstreamTimeoutError
from realname_kit.bus.probe import BrokerProbe
from realname_kit.bus.topology import Topology
from realname_kit.db import Database
from realname_kit.health import readiness_checks
from realname_kit.settings import Settings


def readiness(answers: Mapping[str, Answer], own: Mapping[str, str]) -> tuple[dict[str, Any], int]:
    """The body and status of the gateway's ``/healthz``: 200 when every service and the gateway's own needs
    (``own``: its database, broker and relay) are ready, else 503."""
    services = {name: service_status(answer) for name, answer in answers.items()}
    gateway = {"status": "ready" if all(v == "ok" for v in own.values()) else "not_ready", "checks": dict(own)}
    ready = all(s["status"] == "ready" for s in [*services.values(), gateway])
    return ({"status": "ready" if ready else "degraded", "gateway": gateway, "services": services},
            200 if ready else 503)


def own_readiness(settings: Settings, db: Database) -> Callable[[], dict[str, str]]:
    """The gateway's checks as a service's: its database, and in distributed mode the broker and its relay."""
    topology = Topology(settings.bus_prefix, settings.delivery_limit)
    broker = BrokerProbe(settings.amqp_url) if settings.distributed else None
    return lambda: readiness_checks("gateway", db.ping, broker, topology)


def service_status(answer: Answer) -> dict[str, Any]:
    if isinstance(answer, UpstreamTimeoutError):
        return {"status": "timeout", "checks": {}, "detail": str(answer)}
    if isinstance(answer, UpstreamError):
        return {"status": "unreachable", "checks": {}, "detail": str(answer)}
    if isinstance(answer, BaseException):
        return {"status": "failed", "checks": {}, "detail": f"{type(answer).__name__}: {answer}"}
    status, body = answer
    checks = body.get("checks", {}) if isinstance(body, dict) else {}
    if status == 200 and isinstance(body, dict) and body.get("status") == "ready":
        return {"status": "ready", "checks": checks}
    return {"status": "not_ready", "checks": checks, "http_status": status}


class CachedReadiness:
    """The platform's readiness, asked of the services at most once per ``ttl`` seconds in this process.

    ``/healthz`` is public: without this, every call would ask every service (and each its database and
    broker). Callers that come while an answer is being fetched wait for it and share it.
    """

    def __init__(self, fetch: Callable[[], tuple[dict[str, Any], int]], ttl: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch, self.ttl, self._clock = fetch, ttl, clock
        self._answer: tuple[dict[str, Any], int] | None = None
        self._at = 0.0
        self._refresh = threading.Lock()  # one refresh in flight at a time

    def get(self) -> tuple[dict[str, Any], int]:
        answer = self._fresh()
        if answer is not None:
            return answer
        with self._refresh:
            answer = self._fresh()  # fetched by the caller this one waited for
            if answer is None:
                answer = self._fetch()
                self._answer, self._at = answer, self._clock()
            return answer

    def _fresh(self) -> tuple[dict[str, Any], int] | None:
        answer = self._answer
        return answer if answer is not None and self._clock() - self._at < self.ttl else None
