"""Bearer tokens for tests, signed with the development key pair the settings point at."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from realname_gateway.auth.tokens import Grant, TokenIssuer
from realname_kit.keys import ensure_signing_keys
from realname_kit.settings import Settings


def token(settings: Settings, *roles: str, subject: str | None = None, enterprise_id: str | None = None,
          kind: str | None = None, projects: Mapping[str, Iterable[str]] | None = None, seconds: int = 300) -> str:
    ensure_signing_keys(settings.auth_private_key_file, settings.auth_public_key_file)
    grant = Grant(subject=subject or f"test-{uuid.uuid4().hex[:8]}", kind=kind or _kind(roles),
                  roles=frozenset(roles), enterprise_id=enterprise_id,
                  projects={p: frozenset(f) for p, f in (projects or {}).items()})
    return TokenIssuer(settings).issue(grant, seconds=seconds)


def bearer(settings: Settings, *roles: str, **claims: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, *roles, **claims)}"}  # type: ignore[arg-type]


def _kind(roles: Iterable[str]) -> str:
    roles = set(roles)
    if roles & {"labour", "specialty", "general_contractor"}:
        return "enterprise"
    for kind in ("regulator", "admin", "service"):
        if kind in roles:
            return kind
    return "staff"
