"""Errors as ``application/problem+json`` (RFC 9457) with a stable reason code a person can act on."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from realname_kit.logs import correlation_id, get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)

_REASONS_BY_STATUS = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 412: "precondition_failed",
    413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_failed",
    428: "precondition_required", 429: "too_many_requests", 500: "internal_error",
    502: "bad_gateway", 503: "unavailable", 504: "gateway_timeout",
}


class Problem(Exception):
    """Raise from any handler: becomes a problem+json response with ``reason`` as a stable code."""

    def __init__(self, status: int, reason: str, title: str, detail: str | None = None,
                 **extra: Any) -> None:
        super().__init__(f"{status} {reason}: {detail or title}")
        self.status, self.reason, self.title, self.detail, self.extra = status, reason, title, detail, extra


def problem_response(status: int, reason: str, title: str, detail: str | None = None,
                     **extra: Any) -> Response:
    body: dict[str, Any] = {"type": f"urn:realname:problem:{reason}", "title": title,
                            "status": status, "reason": reason}
    if detail:
        body["detail"] = detail
    if request:
        body["instance"] = request.path
    cid = correlation_id()
    if cid:
        body["correlation_id"] = cid
    body.update(extra)
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)


def install_problem_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem) -> Response:
        return problem_response(exc.status, exc.reason, exc.title, exc.detail, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        extra: dict[str, Any] = {}
        # flask-smorest puts marshmallow's messages here: keep them, field by field.
        messages = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
        if messages:
            extra["errors"] = messages
        reason = getattr(exc, "reason_code", None) or _REASONS_BY_STATUS.get(status, "http_error")
        detail = None if messages else exc.description
        return problem_response(status, reason, exc.name, detail, **extra)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled_error", error=repr(exc))
        return problem_response(500, "internal_error", "Internal Server Error",
                                "The error was logged with this request's correlation id.")
