"""``/api/v1/<service>/…``: every method, handed as it is to the service that owns the prefix."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Response, request

from realname_gateway.upstream import Upstream, UpstreamError
from realname_kit.auth import ANYONE, allow
from realname_kit.problems import Problem

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def proxy_blueprint(upstreams: Mapping[str, Upstream]) -> Blueprint:
    bp = Blueprint("proxy", __name__)

    @bp.route("/api/v1/<service>", methods=METHODS)
    @bp.route("/api/v1/<service>/", methods=METHODS)
    @bp.route("/api/v1/<service>/<path:rest>", methods=METHODS)
    @allow(ANYONE)  # each service decides who may call it, on every request
    def forward(service: str, rest: str = "") -> Response:
        upstream = upstreams.get(service)
        if upstream is None:
            raise Problem(404, "service_unknown", "No such service",
                          f"No service is called {service!r}.", services=sorted(upstreams),
                          message_zh=f"没有名为 {service} 的服务：请核对地址。")
        try:
            return upstream.forward(request)
        except UpstreamError as exc:
            raise Problem(exc.status, exc.reason, exc.title, f"{service}: {exc}", service=service,
                          message_zh=exc.message_zh) from exc

    return bp
