"""``create_app()``: the gateway, the one public HTTP entry of the platform."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, Response, jsonify, redirect, url_for

from realname_gateway.docs import docs_blueprint
from realname_gateway.document import MergedDocument
from realname_gateway.fanout import ask_all
from realname_gateway.health import readiness
from realname_gateway.proxy import proxy_blueprint
from realname_gateway.upstream import HttpUpstream, Upstream
from realname_kit.auth import ANYONE, allow
from realname_kit.metrics import install_request_metrics, render_metrics
from realname_kit.problems import install_problem_handlers
from realname_kit.settings import SERVICES, Settings
from realname_kit.web import install_correlation

HEALTH_TIMEOUT = 3.0  # seconds a probe may take: a health check must answer fast, even when a service won't


def create_app(settings: Settings | None = None, upstreams: Mapping[str, Upstream] | None = None) -> Flask:
    if upstreams is None:
        settings = settings or Settings.from_env()
        upstreams = {name: HttpUpstream(settings.service_url(name), settings.http_timeout,
                                        probe_timeout=HEALTH_TIMEOUT - 0.5) for name in SERVICES}
    app = Flask("realname_gateway", static_folder=None)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    pool = ThreadPoolExecutor(max_workers=max(4, 2 * len(upstreams)), thread_name_prefix="gateway-probe")
    app.register_blueprint(proxy_blueprint(upstreams))
    app.register_blueprint(docs_blueprint())
    _add_own_routes(app, upstreams, pool)
    install_correlation(app)
    install_problem_handlers(app)
    install_request_metrics(app, "gateway")
    return app


def _add_own_routes(app: Flask, upstreams: Mapping[str, Upstream], pool: ThreadPoolExecutor) -> None:
    document = MergedDocument(upstreams, pool)

    @app.get("/")
    @allow(ANYONE)
    def home() -> Any:
        return redirect(url_for("docs.page"))

    @app.get("/openapi.json")
    @allow(ANYONE)
    def openapi() -> Any:
        return document.get()

    @app.get("/healthz")
    @app.get("/readyz")
    @allow(ANYONE)
    def healthz() -> Any:
        body, status = readiness(ask_all(pool, upstreams, "/readyz", HEALTH_TIMEOUT))
        response: Response = jsonify(body)
        response.status_code = status
        return response

    @app.get("/livez")
    @allow(ANYONE)
    def livez() -> Any:
        """The gateway process itself answers (a liveness probe must not restart it for a service's fault)."""
        return {"status": "alive", "service": "gateway"}

    @app.get("/metrics")
    @allow(ANYONE)
    def metrics() -> Response:
        return render_metrics()
