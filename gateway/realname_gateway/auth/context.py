"""What the login and account endpoints work with, built once per gateway app."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import Request, current_app, request

from realname_gateway.auth.tokens import TokenIssuer
from realname_gateway.upstream import Upstream
from realname_kit.db import Database
from realname_kit.privacy.keyring import Keyring
from realname_kit.settings import Settings


@dataclass
class AuthContext:
    settings: Settings
    db: Database
    upstreams: Mapping[str, Upstream]
    issuer: TokenIssuer = field(init=False)

    def __post_init__(self) -> None:
        self.issuer = TokenIssuer(self.settings)

    @cached_property
    def keyring(self) -> Keyring:
        return Keyring.from_settings(self.settings)

    def trust(self) -> Any:
        """The CA bundle and revocation lists, read at each login so that a new CRL applies at once."""
        from realname_gateway.certs.verify import load_trust
        crl = self.settings.crl_file
        return load_trust(self.settings.ca_bundle_file.read_bytes(), crl.read_bytes() if crl.exists() else None)


def auth_context() -> AuthContext:
    ctx: AuthContext = current_app.extensions["realname_auth"]
    return ctx


def client_address() -> str | None:
    return request.remote_addr


_ANONYMOUS_AUTH_WRITES = ("/api/v1/auth/login/certificate", "/api/v1/auth/refresh", "/api/v1/auth/logout")


def login_attempt(req: Request) -> str | None:
    """For rate limits: the account a login tries ("" when it names none), None when not a login. A refresh or
    a logout with a token is a login too: only failures count, and a stolen-token guess is one."""
    if req.method != "POST":
        return None
    if req.path == "/api/v1/auth/login/password":
        body = req.get_json(silent=True)
        username = body.get("username") if isinstance(body, dict) else None
        return username[:100] if isinstance(username, str) else ""
    return "" if req.path in _ANONYMOUS_AUTH_WRITES else None


def challenge_request(req: Request) -> bool:
    """For rate limits: asking for a login challenge (counted apart: an office asks for one per clerk)."""
    return req.method == "POST" and req.path == "/api/v1/auth/challenge"
