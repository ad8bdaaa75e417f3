"""Behind the ingress every request comes from the proxy's address: rate limits and the audit log read the
client's address from the trusted proxies' X-Forwarded-For (REALNAME_TRUSTED_PROXY_HOPS), and from nothing a
client could write when none is trusted (the default). Real PostgreSQL; the services in this process."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask, request

from realname_gateway.app import create_app as create_gateway
from realname_gateway.upstream import WsgiUpstream
from realname_kit.hardening import trust_proxies
from realname_kit.service import load_spec
from realname_kit.settings import SERVICES, Settings
from realname_kit.web import create_service_app
from realname_launcher.platform import ensure_development_secrets
from tests.support.stack import Stack

INGRESS = "10.0.0.7"  # the proxy: the peer of every request behind it


def gateway(stack: Stack, hops: int) -> Flask:
    stack.migrate(*SERVICES, "gateway")
    # Each failed login names another account: only the per-address limit can stop them.
    settings = Settings.from_env(stack.env(REALNAME_TRUSTED_PROXY_HOPS=str(hops),
                                           REALNAME_RATE_LIMIT_LOGIN_ADDRESS="3/minute"))
    ensure_development_secrets(settings)
    upstreams = {name: WsgiUpstream(create_service_app(load_spec(name), settings, stack.db(name)))
                 for name in SERVICES}
    return create_gateway(settings, upstreams, stack.db("gateway"))


def failed_login(app: Flask, n: int, *, forwarded_for: str, peer: str = INGRESS) -> Any:
    return app.test_client().post("/api/v1/auth/login/password", json={"username": f"nobody{n}", "password": "x"},
                                  headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": peer})


def audited_addresses(stack: Stack) -> list[str | None]:
    with stack.db("gateway").engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT payload FROM outbox WHERE type = 'audit.recorded' ORDER BY seq")
        return [json.loads(payload)["data"]["client_address"] for payload in rows.scalars()]


def test_with_no_proxy_trusted_a_forged_forwarded_for_neither_escapes_the_limit_nor_reaches_the_audit(
        stack: Stack) -> None:
    app = gateway(stack, hops=0)
    answers = [failed_login(app, n, forwarded_for=f"198.51.100.{n}", peer="192.0.2.1") for n in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert audited_addresses(stack) == ["192.0.2.1"] * 3


def test_behind_one_trusted_proxy_each_client_is_limited_and_audited_by_its_own_address(stack: Stack) -> None:
    app = gateway(stack, hops=1)
    clients = [failed_login(app, n, forwarded_for=f"203.0.113.{n}") for n in range(4)]
    assert [a.status_code for a in clients] == [401] * 4  # four clients, one proxy: nobody is limited
    assert audited_addresses(stack) == [f"203.0.113.{n}" for n in range(4)]
    # One client that writes its own X-Forwarded-For before the proxy's entry is still the one client.
    one = [failed_login(app, n, forwarded_for=f"198.51.100.{n}, 203.0.113.99") for n in range(4)]
    assert [a.status_code for a in one] == [401, 401, 401, 429]
    assert audited_addresses(stack)[4:] == ["203.0.113.99"] * 3


def echo_service() -> Flask:
    app = Flask("echo")

    @app.get("/api/v1/registry/whoami")
    def whoami() -> Any:
        return {"address": request.remote_addr}

    return app


@pytest.mark.parametrize(("hops", "forwarded_for", "client"), [
    (0, "198.51.100.1", "192.0.2.1"),                # the client's own header: not believed
    (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),  # the ingress's entry: believed, the client's own not
])
def test_a_service_behind_the_gateway_sees_the_client_the_gateway_saw(hops: int, forwarded_for: str,
                                                                       client: str) -> None:
    service = echo_service()
    trust_proxies(service, hops, behind_gateway=True)
    front = Flask("front")
    trust_proxies(front, hops)
    upstream = WsgiUpstream(service)

    @front.get("/api/v1/registry/whoami")
    def forward() -> Any:
        return upstream.forward(request)

    answer = front.test_client().get("/api/v1/registry/whoami", headers={"X-Forwarded-For": forwarded_for},
                                     environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert answer.get_json() == {"address": client}
