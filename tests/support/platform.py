"""The gateway with every service in this process on real PostgreSQL: what login tests talk to."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from realname_assignment.models import Party
from realname_assignment.parties import UNIT_TYPES
from realname_gateway.app import create_app as create_gateway
from realname_gateway.certs.devca import issue, sign_nonce
from realname_gateway.upstream import WsgiUpstream
from realname_kit.service import load_spec
from realname_kit.settings import SERVICES, Settings
from realname_kit.timeutil import utcnow
from realname_kit.web import create_service_app
from realname_launcher.platform import ensure_development_secrets
from tests.support.stack import Stack


@dataclass
class Platform:
    stack: Stack
    client: FlaskClient

    @property
    def ca_dir(self) -> Any:
        return self.stack.settings.data_dir / "dev-ca"

    def certificate(self, uscc: str, name: str, operator: str = "张三", **kwargs: Any) -> tuple[str, bytes]:
        cert_pem, key_pem = issue(self.ca_dir, uscc=uscc, enterprise_name=name, operator=operator, **kwargs)
        return cert_pem.decode(), key_pem

    def certificate_login(self, certificate: tuple[str, bytes], kind: str | None = None) -> Any:
        nonce = self.client.post("/api/v1/auth/challenge").get_json()["nonce"]
        signature = base64.b64encode(sign_nonce(certificate[1], nonce.encode())).decode()
        body = {"certificate": certificate[0], "nonce": nonce, "signature": signature}
        if kind:
            body["kind"] = kind
        return self.client.post("/api/v1/auth/login/certificate", json=body)

    def enterprise_token(self, uscc: str, name: str, kind: str) -> str:
        response = self.certificate_login(self.certificate(uscc, name), kind)
        assert response.status_code == 200, response.get_json()
        token: str = response.get_json()["access_token"]
        return token

    def password_login(self, username: str, password: str, address: str = "127.0.0.1") -> Any:
        """A password login from ``address`` (the client's, as the gateway sees it)."""
        return self.client.post("/api/v1/auth/login/password", json={"username": username, "password": password},
                                environ_base={"REMOTE_ADDR": address})

    def enterprise(self, uscc: str, name: str, kind: str) -> tuple[str, str]:
        """An enterprise logged in by its certificate, and known to the assignment service as a party (what the
        registry's ``enterprise.registered`` would tell it: no bus runs in this process): (token, enterprise id)."""
        response = self.certificate_login(self.certificate(uscc, name), kind)
        assert response.status_code == 200, response.get_json()
        token, enterprise_id = response.get_json()["access_token"], response.get_json()["enterprise_id"]
        with self.stack.db("assignment").transaction() as session:
            if session.get(Party, enterprise_id) is None:
                session.add(Party(enterprise_id=enterprise_id, name=name, uscc=uscc, kind=kind,
                                  unit_type=UNIT_TYPES[kind], registered_at=utcnow()))
        return token, enterprise_id

    def project(self, gc_token: str, registration_number: str) -> str:
        """A project the general contractor of ``gc_token`` registers (it takes part in it, R21): its id."""
        made = self.client.post("/api/v1/assignment/projects", headers=bearer(gc_token), json={
            "name": "浦东新区某住宅项目", "registration_number": registration_number,
            "address": "上海市浦东新区张江路1号", "planned_start": "2026-03-01", "planned_completion": "2027-12-31"})
        assert made.status_code == 201, made.get_json()
        project_id: str = made.get_json()["id"]
        return project_id


def build_platform(stack: Stack, login_rate: str = "1000/minute", **env: str) -> Platform:
    """Failed logins are limited per address, and a test client has one address: raise the limit."""
    stack.migrate(*SERVICES, "gateway")
    settings = Settings.from_env(stack.env(**{"REALNAME_RATE_LIMIT_LOGIN": login_rate,
                                              "REALNAME_RATE_LIMIT_LOGIN_ADDRESS": login_rate, **env}))
    ensure_development_secrets(settings)
    upstreams = {name: WsgiUpstream(create_service_app(load_spec(name), settings, stack.db(name)))
                 for name in SERVICES}
    gateway = create_gateway(settings, upstreams, stack.db("gateway"))
    return Platform(stack, gateway.test_client())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
