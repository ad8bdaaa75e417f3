"""Prometheus metrics; multiprocess-safe under gunicorn when ``PROMETHEUS_MULTIPROC_DIR`` is set.

In distributed mode the launcher gives a service's web, consumer and relay processes one
``PROMETHEUS_MULTIPROC_DIR``, so the counters of all three are summed on the web's ``/metrics``.
Gauges that describe the service's state (outbox lag, dead letters) are read at scrape time by
collectors passed to ``render_metrics``, never kept in a process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

HTTP_REQUESTS = Counter("realname_http_requests_total", "HTTP requests answered",
                        ["service", "method", "endpoint", "status"])
HTTP_LATENCY = Histogram("realname_http_request_seconds", "HTTP request latency", ["service", "endpoint"])
MESSAGES_HANDLED = Counter("realname_messages_total",
                           "Bus messages by queue and outcome: handled, retried, failed, dead_lettered",
                           ["queue", "outcome"])
EVENTS_RELAYED = Counter("realname_events_relayed_total", "Outbox events published", ["service"])

HANDLED, RETRIED, FAILED, DEAD_LETTERED = "handled", "retried", "failed", "dead_lettered"


def count_messages(queue: str, outcome: str, n: int = 1) -> None:
    if n:
        MESSAGES_HANDLED.labels(queue, outcome).inc(n)


def count_relayed(service: str, n: int) -> None:
    if n:
        EVENTS_RELAYED.labels(service).inc(n)


def render_metrics(collectors: Sequence[Collector] = ()) -> Response:
    """Every process's counters (the multiprocess files, or this process's), and ``collectors`` read now."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Everything())
    for collector in collectors:
        registry.register(collector)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _Everything(Collector):
    """This process's default registry, inside a registry of its own (with the scrape-time collectors)."""

    def collect(self):  # type: ignore[no-untyped-def]
        yield from REGISTRY.collect()

    def describe(self):  # type: ignore[no-untyped-def]
        return []


def install_request_metrics(app: Flask, service: str) -> None:
    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        HTTP_REQUESTS.labels(service, request.method, endpoint, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            HTTP_LATENCY.labels(service, endpoint).observe(time.perf_counter() - started)
        return response
