"""Signed access tokens (short-lived, asymmetric) and the JWKS that lets every service verify them."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from realname_kit.denials import SESSION, VERSION_CLAIM
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow


@dataclass(frozen=True)
class Grant:
    """What a token says about its bearer."""

    subject: str
    kind: str  # enterprise, staff, regulator, admin, service
    roles: frozenset[str]
    enterprise_id: str | None = None
    projects: Mapping[str, Iterable[str]] = field(default_factory=dict)
    certificate: str | None = None  # the fingerprint a certificate login used
    version: int = 0  # of what the subject may do: rights taken back raise it, and older tokens are refused (R32)


class TokenIssuer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def _private_key(self) -> PrivateKeyTypes:
        return serialization.load_pem_private_key(self.settings.auth_private_key_file.read_bytes(), None)

    @cached_property
    def key_id(self) -> str:
        public = self._private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(public).hexdigest()[:16]

    @property
    def algorithm(self) -> str:
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        if isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            return "ES256"
        if isinstance(self._private_key, rsa.RSAPrivateKey):
            return "RS256"
        return "EdDSA"

    def issue(self, grant: Grant, seconds: int | None = None, session: str | None = None) -> str:
        """``session``: the login's id, by which its end refuses the token (realname_kit.denials)."""
        now = utcnow()
        claims: dict[str, Any] = {
            "iss": self.settings.auth_issuer, "aud": self.settings.auth_audience, "sub": grant.subject,
            "iat": now, "nbf": now, "exp": now + timedelta(seconds=seconds or self.settings.access_token_seconds),
            "jti": uuid.uuid4().hex, "acct": grant.kind, "roles": sorted(grant.roles), VERSION_CLAIM: grant.version,
        }
        if session:
            claims[SESSION] = session
        if grant.enterprise_id:
            claims["ent"] = grant.enterprise_id
        if grant.projects:
            claims["proj"] = {p: sorted(f) for p, f in grant.projects.items()}
        if grant.certificate:
            claims["cert"] = grant.certificate
        return jwt.encode(claims, self._private_key, algorithm=self.algorithm,  # type: ignore[arg-type]
                          headers={"kid": self.key_id})

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.get_default_algorithms()[self.algorithm].to_jwk(
            self._private_key.public_key()))
        jwk.update({"kid": self.key_id, "use": "sig", "alg": self.algorithm})
        return {"keys": [jwk]}


def new_refresh_token() -> tuple[str, str]:
    """A refresh token and the hash under which it is stored (the token itself is never stored)."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
