"""The Flask app of a service: OpenAPI, problem+json errors, correlation ids, access control, health, metrics."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Sequence
from contextvars import Token
from dataclasses import dataclass
from typing import Any

import structlog
from flask import Flask, Response, current_app, g, request
from prometheus_client.registry import Collector

from realname_kit.auth import ANYONE, TokenVerifier, allow, install_access_control, undeclared_endpoints
from realname_kit.bus.probe import BrokerProbe
from realname_kit.bus.topology import Topology, queues_of
from realname_kit.db import Database
from realname_kit.denials import DenyList
from realname_kit.formats import PlatformJSONProvider
from realname_kit.gauges import GaugedService, ServiceGauges
from realname_kit.hardening import install_request_limits, install_security_headers, trust_proxies
from realname_kit.health import health_blueprint
from realname_kit.logs import _correlation_id, get_logger, new_correlation_id
from realname_kit.metrics import install_request_metrics
from realname_kit.openapi import PlatformApi
from realname_kit.outages import install_outage_handlers
from realname_kit.problems import install_problem_handlers
from realname_kit.service import ServiceSpec
from realname_kit.settings import Settings

CORRELATION_HEADER = "X-Correlation-ID"
_VALID_CID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
log = get_logger("realname.http")


@dataclass(frozen=True)
class ServiceContext:
    spec: ServiceSpec
    settings: Settings
    db: Database
    topology: Topology
    broker: BrokerProbe | None  # None: the in-process bus
    collectors: Sequence[Collector] = ()  # read at each scrape of /metrics


def service_context() -> ServiceContext:
    ctx: ServiceContext = current_app.extensions["realname"]
    return ctx


def create_service_app(spec: ServiceSpec, settings: Settings | None = None,
                       db: Database | None = None) -> Flask:
    settings = settings or Settings.from_env()
    if spec.check_settings is not None:
        spec.check_settings(settings)
    db = db or Database(settings.database_url_for(spec.name))
    app = Flask(f"realname_{spec.name}", static_folder=None)
    app.json = PlatformJSONProvider(app)  # dates, instants and money in one form (realname_kit.formats)
    app.config.update(
        API_TITLE=spec.title, API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"info": {"description": spec.description},
                          "components": {"securitySchemes": {"bearer": {
                              "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}},
    )
    app.extensions["realname"] = service_context_for(spec, settings, db)
    api = PlatformApi(app)
    for blueprint in spec.blueprints:
        api.register_blueprint(blueprint)
    app.register_blueprint(health_blueprint())
    install_problem_handlers(app)  # after Api(): its own error handler would answer plain JSON
    install_outage_handlers(app)
    install_correlation(app)
    install_request_limits(app, settings.max_request_bytes, max_upload_bytes=settings.max_upload_bytes)
    install_security_headers(app)
    install_access_control(app, TokenVerifier(settings.auth_public_key_file, settings.auth_issuer,
                                              settings.auth_audience, settings.auth_jwks_url, DenyList(db)))
    install_request_metrics(app, spec.name)
    trust_proxies(app, int(settings.value("REALNAME_TRUSTED_PROXY_HOPS")), behind_gateway=True)
    _open_the_api_document(app)
    missing = undeclared_endpoints(app)
    if missing:
        raise RuntimeError(f"{spec.name}: endpoints without an access rule: {', '.join(missing)}")
    return app


def service_context_for(spec: ServiceSpec, settings: Settings, db: Database) -> ServiceContext:
    topology = Topology(settings.bus_prefix, settings.delivery_limit)
    if not settings.distributed:  # all-in-one: the launcher shows the gauges on the gateway's metrics
        return ServiceContext(spec, settings, db, topology, None)
    broker = BrokerProbe(settings.amqp_url)

    def dead_letters() -> dict[str, int]:
        names = [topology.dead_letter_queue(q).name for q in queues_of(spec.name)]
        return {name: state.messages for name in names if (state := broker.queue_state(name)) is not None}
    return ServiceContext(spec, settings, db, topology, broker,
                          [ServiceGauges([gauged(spec, db)], dead_letters)])


def gauged(spec: ServiceSpec, db: Database) -> GaugedService:
    return GaugedService(spec.name, db, spec.outbox_table, spec.gauges)


def install_correlation(app: Flask) -> None:
    @app.before_request
    def _bind() -> None:
        given = request.headers.get(CORRELATION_HEADER, "")
        cid = given if _VALID_CID.match(given) else new_correlation_id()
        g.correlation_token = _correlation_id.set(cid)
        g.log_tokens = structlog.contextvars.bind_contextvars(correlation_id=cid)
        g.started = time.perf_counter()

    @app.after_request
    def _tag(response: Response) -> Response:
        cid = _correlation_id.get()
        if cid:
            response.headers[CORRELATION_HEADER] = cid
        if request.path not in ("/healthz", "/readyz", "/metrics"):
            log.info("http_request", method=request.method, path=request.path, status=response.status_code,
                     ms=round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1))
        return response

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        token: Token[str | None] | None = g.pop("correlation_token", None)
        if token is not None:
            _correlation_id.reset(token)
        log_tokens: Any = g.pop("log_tokens", None)
        if log_tokens is not None:
            structlog.contextvars.reset_contextvars(**log_tokens)


def _open_the_api_document(app: Flask) -> None:
    """flask-smorest's own views (the OpenAPI document) are public."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith("api-docs."):
            app.view_functions[endpoint] = allow(ANYONE)(_wrapped(view))


def _wrapped(view: Any) -> Any:
    @functools.wraps(view)
    def opened(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)
    return opened
