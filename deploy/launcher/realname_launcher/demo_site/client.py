"""The demo site's HTTP client: the gateway's public API, called as a user's program calls it."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests

from realname_gateway.certs.devca import issue, sign_challenge

T = TypeVar("T")
AUTH = "/api/v1/auth"


class DemoSiteFailed(Exception):
    """The platform refused a step of the demo: what was asked and what it answered."""


class Api:
    """One caller (logged in, or not) of the gateway."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base, self.session = base, requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, *statuses: int, **kwargs: Any) -> Any:
        """The JSON answer of a call with one of ``statuses`` (200), else DemoSiteFailed. Writes carry an
        Idempotency-Key, as every client's should (R33)."""
        headers = {"Idempotency-Key": str(uuid.uuid4())} if method != "GET" else {}
        response = self.session.request(method, f"{self.base}{path}", headers=headers, timeout=60, **kwargs)
        if response.status_code not in (statuses or (200,)):
            raise DemoSiteFailed(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def answer(self, method: str, path: str, *statuses: int, **kwargs: Any) -> Any:
        """Like ``call``, None instead of DemoSiteFailed (for ``eventually``: a service that has not learned yet)."""
        try:
            return self.call(method, path, *statuses, **kwargs)
        except DemoSiteFailed:
            return None

    def close(self) -> None:
        self.session.close()


def eventually(attempt: Callable[[], T | None], what: str, timeout: float = 90) -> T:
    """``attempt`` until it gives something: the services learn from events, a moment after the call."""
    deadline = time.monotonic() + timeout
    while True:
        done = attempt()
        if done is not None:
            return done
        if time.monotonic() > deadline:
            raise DemoSiteFailed(f"{what}: not done after {timeout:.0f} s")
        time.sleep(0.3)


def certificate_login(base: str, dev_ca: Path, uscc: str, name: str, kind: str) -> Api:
    """An enterprise logs in with a certificate of the development CA (its first login registers it, R31)."""
    cert, key = issue(dev_ca, uscc=uscc, enterprise_name=name, operator="演示操作员")
    anonymous = Api(base)
    nonce = anonymous.call("POST", f"{AUTH}/challenge", 200, 201)["nonce"]
    signature = base64.b64encode(sign_challenge(key, nonce)).decode()
    token = anonymous.call("POST", f"{AUTH}/login/certificate", json={
        "certificate": cert.decode(), "nonce": nonce, "signature": signature, "kind": kind})["access_token"]
    anonymous.close()
    return Api(base, str(token))


def password_login(base: str, login: str, password: str) -> Api:
    anonymous = Api(base)
    token = anonymous.call("POST", f"{AUTH}/login/password", json={"username": login, "password": password})
    anonymous.close()
    return Api(base, str(token["access_token"]))
