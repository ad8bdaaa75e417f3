"""``/healthz`` (the process is alive), ``/readyz`` (its database and broker answer), ``/metrics``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from kombu import Connection

from realname_kit.auth import ANYONE, allow
from realname_kit.metrics import render_metrics
from realname_kit.problems import problem_response


def health_blueprint() -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    @allow(ANYONE)
    def healthz() -> Any:
        return {"status": "alive", "service": current_app.extensions["realname"].spec.name}

    @bp.get("/readyz")
    @allow(ANYONE)
    def readyz() -> Any:
        ctx = current_app.extensions["realname"]
        checks = {"database": _check(ctx.db.ping), "broker": _check(lambda: ping_broker(ctx.settings.amqp_url))}
        if all(v == "ok" for v in checks.values()):
            return {"status": "ready", "service": ctx.spec.name, "checks": checks}
        return problem_response(503, "not_ready", "A dependency does not answer",
                                service=ctx.spec.name, checks=checks,
                                message_zh="服务所依赖的数据库或消息服务暂时无法应答：请稍后重试。")

    @bp.get("/metrics")
    @allow(ANYONE)
    def metrics() -> Any:
        return render_metrics()

    return bp


def ping_broker(amqp_url: str) -> None:
    if not amqp_url:
        return  # the in-process bus is as alive as this process
    with Connection(amqp_url, connect_timeout=3) as conn:
        conn.connect()


def _check(probe: Any) -> str:
    try:
        probe()
    except Exception as exc:
        return f"failed: {type(exc).__name__}: {exc}"[:300]
    return "ok"
