"""The processes of distributed mode: a web server, a consumer and an outbox relay per service."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

from realname_kit.bus.topology import queues_of
from realname_kit.settings import SERVICES, Settings


@dataclass(frozen=True, slots=True)
class ProcessKind:
    name: str                 # e.g. "registry-web", the key of --scale
    service: str
    role: str                 # web, consumer, relay; simulator: a stand-in for a system we do not own
    argv: tuple[str, ...]


def web_argv(target: str, bind: str, workers: int, *internal: str) -> tuple[str, ...]:
    """``internal``: more listeners of the same app (the gateway's metrics port)."""
    more = tuple(arg for address in internal for arg in ("--bind", address))
    return (sys.executable, "-m", "gunicorn", "-c", "python:realname_kit.gunicorn_conf",
            "--bind", bind, *more, "--workers", str(workers), target)


def process_kinds(settings: Settings, scale: dict[str, int]) -> list[ProcessKind]:
    """Every process kind, in start order. ``<service>-web=N`` sets gunicorn workers, not processes."""
    kinds = []
    if settings.value("REALNAME_AUTHORITY_SIM") == "on":
        # First: the identity consumer asks it as soon as card reads arrive.
        kinds.append(ProcessKind("authority-sim", "identity", "simulator",
                                 (sys.executable, "-m", "realname_identity.authority_sim")))
    for service in SERVICES:
        port = urlsplit(settings.service_url(service)).port
        workers = scale.get(f"{service}-web", settings.web_workers)
        kinds.append(ProcessKind(f"{service}-web", service, "web",
                                 web_argv(f"realname_{service}.app:create_app()", f"127.0.0.1:{port}", workers)))
        if queues_of(service):
            kinds.append(ProcessKind(f"{service}-consumer", service, "consumer",
                                     (sys.executable, "-m", "realname_kit.cli", "consumer", service)))
        kinds.append(ProcessKind(f"{service}-relay", service, "relay",
                                 (sys.executable, "-m", "realname_kit.cli", "relay", service)))
    kinds.append(ProcessKind("gateway-relay", "gateway", "relay",
                             (sys.executable, "-m", "realname_kit.cli", "relay", "gateway")))
    gateway_workers = scale.get("gateway-web", settings.web_workers)
    metrics_port = settings.value("REALNAME_GATEWAY_METRICS_PORT")
    kinds.append(ProcessKind("gateway-web", "gateway", "web",
                             web_argv("realname_gateway.app:create_app()",
                                      f"{settings.gateway_host}:{settings.gateway_port}", gateway_workers,
                                      *([f"{settings.gateway_host}:{metrics_port}"] if metrics_port else []))))
    return kinds


def copies(kind: ProcessKind, scale: dict[str, int]) -> int:
    return 1 if kind.role in ("web", "simulator") else scale.get(kind.name, 1)


def parse_scale(items: list[str], known: set[str]) -> dict[str, int]:
    scale = {}
    for item in items:
        name, _, count = item.partition("=")
        if name not in known:
            raise ValueError(f"--scale {item}: no process kind {name!r}; known: {', '.join(sorted(known))}")
        if not (count.isascii() and count.isdigit()) or int(count) < 1:
            raise ValueError(f"--scale {item}: the count must be a whole number of at least 1")
        scale[name] = int(count)
    return scale
