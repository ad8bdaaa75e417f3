"""The gateway's ``/metrics``: answered on its internal metrics port only, refused on the public one.

One app serves both listeners (gunicorn and waitress bind both); ``SERVER_PORT`` is the port of the
listener the request came in on, which a client cannot choose by its headers. The internal port answers
nothing but ``/metrics``, so it is no second door to the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask, request
from prometheus_client.registry import Collector

from realname_kit.auth import ANYONE, allow
from realname_kit.metrics import render_metrics
from realname_kit.problems import Problem

METRICS_PATH = "/metrics"


def install_internal_metrics(app: Flask, port: str, collectors: Sequence[Collector] = ()) -> None:
    def internal() -> bool:
        return bool(port) and request.environ.get("SERVER_PORT") == port

    @app.before_request
    def _only_metrics_inside() -> None:
        if internal() and request.path != METRICS_PATH:
            raise Problem(404, "not_found", "Not Found", "The metrics port answers /metrics only.",
                          message_zh="监控端口只提供 /metrics：请改用网关的公开端口访问接口。")

    @app.get(METRICS_PATH)
    @allow(ANYONE)  # who reaches the internal port may read it; the public port refuses it
    def metrics() -> Any:
        if not internal():
            raise Problem(404, "not_found", "Not Found",
                          "The gateway's metrics are on its internal metrics port, not here.",
                          message_zh="网关的监控指标只在内部端口提供，此处不可访问。")
        return render_metrics(collectors)
