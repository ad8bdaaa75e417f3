"""``create_app()``: the gateway, the one public HTTP entry of the platform."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, Response, jsonify, redirect, url_for
from prometheus_client.registry import Collector

from realname_gateway.auth.api import auth
from realname_gateway.auth.context import AuthContext, challenge_request, login_attempt
from realname_gateway.docs import docs_blueprint
from realname_gateway.document import MergedDocument
from realname_gateway.fanout import ask_all
from realname_gateway.health import CachedReadiness, own_readiness, readiness
from realname_gateway.metrics_port import install_internal_metrics
from realname_gateway.proxy import proxy_blueprint
from realname_gateway.upstream import HttpUpstream, Upstream
from realname_kit.auth import ANYONE, TokenVerifier, allow, install_access_control
from realname_kit.db import Database
from realname_kit.denials import DenyList
from realname_kit.formats import PlatformJSONProvider
from realname_kit.hardening import (
    install_rate_limits,
    install_request_limits,
    install_security_headers,
    limiter_from_settings,
    parse_rate,
    trust_proxies,
)
from realname_kit.metrics import install_request_metrics
from realname_kit.openapi import PlatformApi, annotate_access
from realname_kit.outages import install_outage_handlers
from realname_kit.problems import install_problem_handlers
from realname_kit.settings import SERVICES, Settings
from realname_kit.web import install_correlation

HEALTH_TIMEOUT = 3.0  # seconds a probe may take: a health check must answer fast, even when a service won't
HEALTH_CACHE_SECONDS = 2.0  # anyone may call /healthz: the services are asked at most this often per process


def create_app(settings: Settings | None = None, upstreams: Mapping[str, Upstream] | None = None,
               db: Database | None = None, collectors: Sequence[Collector] = ()) -> Flask:
    """``collectors``: gauges read at each scrape of the gateway's /metrics (all-in-one: every service's)."""
    settings = settings or Settings.from_env()
    if upstreams is None:
        upstreams = {name: HttpUpstream(settings.service_url(name), settings.http_timeout,
                                        probe_timeout=HEALTH_TIMEOUT - 0.5) for name in SERVICES}
    app = Flask("realname_gateway", static_folder=None)
    app.json = PlatformJSONProvider(app)
    db = db or Database(settings.database_url_for("gateway"))
    app.extensions["realname_auth"] = AuthContext(settings, db, upstreams)
    own = _own_api(app)
    pool = ThreadPoolExecutor(max_workers=max(4, 2 * len(upstreams)), thread_name_prefix="gateway-probe")
    app.register_blueprint(proxy_blueprint(upstreams))
    app.register_blueprint(docs_blueprint())
    _add_own_routes(app, upstreams, pool, own, own_readiness(settings, db))
    install_internal_metrics(app, settings.value("REALNAME_GATEWAY_METRICS_PORT"), collectors)
    install_correlation(app)
    install_problem_handlers(app)
    install_outage_handlers(app)
    install_request_limits(app, settings.max_request_bytes, max_upload_bytes=settings.max_upload_bytes)
    install_security_headers(app, docs_paths=("/docs",))
    # The gateway refuses a denied token itself, before proxying, from its own deny-list (written at once).
    install_access_control(app, TokenVerifier(settings.auth_public_key_file, settings.auth_issuer,
                                              settings.auth_audience, denials=DenyList(db)))
    install_rate_limits(app, limiter_from_settings(settings), login_rate=parse_rate(settings.rate_limit_login),
                        write_rate=parse_rate(settings.rate_limit_write), login_paths=login_attempt,
                        login_address_rate=parse_rate(settings.rate_limit_login_address),
                        challenge_rate=parse_rate(settings.rate_limit_challenge), challenge_paths=challenge_request)
    install_request_metrics(app, "gateway")
    trust_proxies(app, int(settings.value("REALNAME_TRUSTED_PROXY_HOPS")))
    return app


def _own_api(app: Flask) -> Callable[[], dict[str, Any]]:
    """The gateway's own endpoints (login, accounts) with their OpenAPI document, merged with the services'."""
    app.config.update(API_TITLE="realname auth", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
                      OPENAPI_URL_PREFIX=None,  # the gateway serves the merged document itself
                      API_SPEC_OPTIONS={"components": {"securitySchemes": {"bearer": {
                          "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}})
    api = PlatformApi(app)
    api.register_blueprint(auth)
    return lambda: annotate_access(app, api.spec.to_dict())


def _add_own_routes(app: Flask, upstreams: Mapping[str, Upstream], pool: ThreadPoolExecutor,
                    own: Callable[[], dict[str, Any]], own_checks: Callable[[], dict[str, str]]) -> None:
    document = MergedDocument(upstreams, pool, own={"auth": own})
    platform_readiness = CachedReadiness(
        lambda: readiness(ask_all(pool, upstreams, "/readyz", HEALTH_TIMEOUT), own_checks()),
        ttl=HEALTH_CACHE_SECONDS)

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
        body, status = platform_readiness.get()
        response: Response = jsonify(body)
        response.status_code = status
        return response

    @app.get("/livez")
    @allow(ANYONE)
    def livez() -> Any:
        """The gateway process itself answers (a liveness probe must not restart it for a service's fault)."""
        return {"status": "alive", "service": "gateway"}
