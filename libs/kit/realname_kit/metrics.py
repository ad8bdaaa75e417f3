"""Prometheus metrics; multiprocess-safe under gunicorn when ``PROMETHEUS_MULTIPROC_DIR`` is set."""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter("realname_http_requests_total", "HTTP requests answered",
                        ["service", "method", "endpoint", "status"])
HTTP_LATENCY = Histogram("realname_http_request_seconds", "HTTP request latency", ["service", "endpoint"])
MESSAGES_HANDLED = Counter("realname_messages_total", "Bus messages handled", ["queue", "outcome"])
EVENTS_RELAYED = Counter("realname_events_relayed_total", "Outbox events published", ["service"])


def render_metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


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
