"""The gateway asks the registry about enterprises as itself (a short-lived service token)."""

from __future__ import annotations

from typing import Any

from realname_codes.roles import SERVICE
from realname_gateway.auth.context import AuthContext
from realname_gateway.auth.tokens import Grant
from realname_kit.problems import Problem

ENTERPRISES = "/api/v1/registry/enterprises"


def service_token(ctx: AuthContext) -> str:
    return ctx.issuer.issue(Grant(subject="gateway", kind="service", roles=frozenset({SERVICE})), seconds=60)


def find_enterprise(ctx: AuthContext, uscc: str) -> dict[str, Any] | None:
    status, body = ctx.upstreams["registry"].call_json("GET", f"{ENTERPRISES}?uscc={uscc}",
                                                        token=service_token(ctx))
    if status != 200:
        raise Problem(502, "registry_unavailable", "The registry did not answer the enterprise lookup",
                      f"It answered {status}.",
                      message_zh="登记系统暂时无法查询单位：请稍后重试。")
    items: list[dict[str, Any]] = body["items"]
    return items[0] if items else None


def register_enterprise(ctx: AuthContext, uscc: str, name: str, kind: str) -> dict[str, Any]:
    status, body = ctx.upstreams["registry"].call_json(
        "POST", ENTERPRISES, {"uscc": uscc, "name": name, "kind": kind}, token=service_token(ctx))
    if status == 201:
        return dict(body)
    if status == 409:  # registered meanwhile: the same enterprise
        return dict(body["existing"])
    if status == 422:
        raise Problem(422, body.get("reason", "enterprise_invalid"), "The registry refused the enterprise",
                      body.get("detail"),
                      message_zh=body.get("message_zh"))
    raise Problem(502, "registry_unavailable", "The registry did not register the enterprise",
                  f"It answered {status}.",
                  message_zh="登记系统暂时未能登记该单位：请稍后重试。")
