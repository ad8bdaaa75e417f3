"""The platform's readiness: every upstream's ``/readyz``, asked in parallel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from realname_gateway.fanout import Answer
from realname_gateway.upstream import UpstreamError, UpstreamTimeoutError


def readiness(answers: Mapping[str, Answer]) -> tuple[dict[str, Any], int]:
    """The body and status of the gateway's ``/healthz``: 200 when every service is ready, else 503."""
    services = {name: service_status(answer) for name, answer in answers.items()}
    ready = all(s["status"] == "ready" for s in services.values())
    return {"status": "ready" if ready else "degraded", "services": services}, 200 if ready else 503


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
