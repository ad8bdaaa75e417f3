"""The caller's identity: a signed bearer token verified by every service, and deny-by-default access.

Every endpoint declares who may call it with ``@allow(...)``; one that declares nothing answers 403,
and ``create_service_app`` refuses to start when a route lacks a declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import jwt
from flask import Flask, current_app, g, request

from realname_kit.denials import DenyList
from realname_kit.problems import Problem

ANYONE = "anyone"                # anonymous callers too
AUTHENTICATED = "authenticated"  # any valid token
ALGORITHMS = ["ES256", "RS256", "EdDSA"]

F = TypeVar("F", bound=Callable[..., Any])
_ACCESS_ATTR = "__realname_access__"


@dataclass(frozen=True, slots=True)
class Caller:
    subject: str | None = None
    enterprise_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None
    kind: str | None = None  # enterprise, staff, regulator, admin, service
    projects: Mapping[str, frozenset[str]] = field(default_factory=dict)  # project id -> functions (R32)

    @property
    def anonymous(self) -> bool:
        return self.subject is None

    def holds(self, project_id: str, function: str) -> bool:
        """May this caller exercise ``function`` on ``project_id``, as its manager or by delegation (R32)."""
        return function in self.projects.get(project_id, frozenset())

    def acts_for(self, enterprise_id: str | None) -> bool:
        """Is this caller the enterprise itself, or an account of it?"""
        return enterprise_id is not None and self.enterprise_id == enterprise_id

    def may(self, allowed: Iterable[str]) -> bool:
        allowed = set(allowed)
        if ANYONE in allowed:
            return True
        if self.anonymous:
            return False
        return AUTHENTICATED in allowed or bool(self.roles & allowed)


ANONYMOUS = Caller()


def allow(*roles: str) -> Callable[[F], F]:
    """Declare who may call an endpoint: roles (``"regulator"``), ``AUTHENTICATED`` or ``ANYONE``."""
    if not roles:
        raise ValueError("allow() needs at least one role")

    def mark(view: F) -> F:
        setattr(view, _ACCESS_ATTR, frozenset(roles))
        return view
    return mark


def declared_access(view: Callable[..., Any], method: str | None = None) -> frozenset[str] | None:
    if method == "HEAD":
        method = "GET"  # HEAD is GET without the body, and admits whom GET admits
    view_class = getattr(view, "view_class", None)
    if view_class is not None and method is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is not None and hasattr(handler, _ACCESS_ATTR):
            return getattr(handler, _ACCESS_ATTR)  # type: ignore[no-any-return]
    found: frozenset[str] | None = getattr(view, _ACCESS_ATTR, None)
    return found


def current_caller() -> Caller:
    caller: Caller = g.get("caller", ANONYMOUS)
    return caller


def require_project_function(project_id: str, function: str, participants: Collection[str]) -> Caller:
    """The caller, when it holds ``function`` on the project for an enterprise that takes part in it.

    ``participants`` are the enterprises of the project's contract chain, which the owning service knows
    (R21). A manager appointment names only a project id, so a grant on a project the caller's enterprise
    has no part in is worth nothing here. Else 403 (401 when anonymous).
    """
    caller = current_caller()
    if caller.anonymous:
        raise Problem(401, "unauthenticated", "Log in to call this endpoint",
                      message_zh="尚未登录：请先登录再操作。")
    if caller.enterprise_id not in participants:
        raise Problem(403, "not_a_participant", "Your enterprise takes no part in this project",
                      project_id=project_id,
                      message_zh="贵单位未参与该项目，不能操作：请核对项目，或请总包单位把贵单位加入合同链。")
    if not caller.holds(project_id, function):
        raise Problem(403, "function_not_delegated", f"You do not hold {function} on this project",
                      "Its project manager can delegate it to you.", project_id=project_id, function=function,
                      message_zh="您在该项目上没有此项职能：请该项目的项目经理授权给您。")
    return caller


class TokenVerifier:
    """Verifies bearer tokens with the gateway's public key: from a JWKS URL, or from a PEM file; and, given a
    deny-list, refuses those of a session that ended or of rights taken back (``realname_kit.denials``)."""

    def __init__(self, public_key_file: Path, issuer: str, audience: str, jwks_url: str = "",
                 denials: DenyList | None = None) -> None:
        self.public_key_file, self.issuer, self.audience = public_key_file, issuer, audience
        self.denials = denials
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5) if jwks_url else None

    @cached_property
    def _file_key(self) -> str | None:
        try:
            return self.public_key_file.read_text()
        except FileNotFoundError:
            return None

    def _key_for(self, token: str) -> Any:
        if self.jwks is not None:
            try:
                return self.jwks.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientConnectionError as exc:
                raise Problem(503, "token_keys_unavailable", "The token-signing keys cannot be fetched",
                              str(exc),
                              message_zh="暂时取不到验证登录凭证的密钥：请稍后重试。") from exc
            except jwt.PyJWKClientError as exc:
                raise Problem(401, "token_invalid", "The bearer token is not valid", str(exc),
                              message_zh="登录凭证无效：请重新登录。") from exc
        if self._file_key is None:
            raise Problem(401, "token_unverifiable", "Bearer tokens cannot be verified",
                          "This service has no token-signing public key configured "
                          "(REALNAME_AUTH_PUBLIC_KEY_FILE or REALNAME_AUTH_JWKS_URL).",
                          message_zh="本服务未配置验证登录凭证的公钥，暂时无法验证：请联系平台运维人员。")
        return self._file_key

    def verify(self, token: str) -> Caller:
        try:
            key = self._key_for(token)
            claims = jwt.decode(token, key, algorithms=ALGORITHMS, audience=self.audience,
                                issuer=self.issuer, options={"require": ["exp", "sub", "iss", "aud"]})
        except jwt.ExpiredSignatureError as exc:
            raise Problem(401, "token_expired", "The bearer token has expired",
                          "Log in again or refresh the token.",
                          message_zh="登录已过期：请重新登录或刷新登录凭证。") from exc
        except jwt.InvalidTokenError as exc:
            raise Problem(401, "token_invalid", "The bearer token is not valid", str(exc),
                          message_zh="登录凭证无效：请重新登录。") from exc
        if self.denials is not None and self.denials.refuses(claims):
            raise Problem(401, "token_revoked", "This token no longer holds",
                          "Its session ended (a logout, a disabled account, a revoked certificate) or its rights "
                          "changed. Refresh the token, or log in again.",
                          message_zh="登录凭证已失效（已退出登录、账号停用、证书吊销或权限变更）：请刷新登录凭证或重新登录。")
        return caller_from_claims(claims)


def caller_from_claims(claims: Mapping[str, Any]) -> Caller:
    roles, projects = claims.get("roles", []), claims.get("proj", {})
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Problem(401, "token_invalid", "The bearer token is not valid", "roles must be a list",
                      message_zh="登录凭证无效：请重新登录。")
    if not isinstance(projects, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(f, str) for f in v)
            for k, v in projects.items()):
        raise Problem(401, "token_invalid", "The bearer token is not valid", "proj must map projects to functions",
                      message_zh="登录凭证无效：请重新登录。")
    return Caller(subject=str(claims["sub"]), enterprise_id=claims.get("ent"), roles=frozenset(roles),
                  token_id=claims.get("jti"), kind=claims.get("acct"),
                  projects={k: frozenset(v) for k, v in projects.items()})


def install_access_control(app: Flask, verifier: TokenVerifier) -> None:
    app.extensions["realname_token_verifier"] = verifier

    @app.before_request
    def _authorize() -> None:
        view = current_app.view_functions.get(request.endpoint or "")
        if view is None or request.method == "OPTIONS":
            return  # 404 / 405 and the allowed-methods answer to OPTIONS come from Flask itself
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Problem(401, "token_invalid", "Use an Authorization: Bearer token",
                              message_zh="缺少登录凭证：请先登录，并在请求头中带上 Authorization: Bearer。")
            g.caller = verifier.verify(token.strip())
        allowed = declared_access(view, request.method)
        if allowed is None:
            raise Problem(403, "access_undeclared", "This endpoint admits nobody",
                          "It declares no access rule, so it is denied by default.",
                          message_zh="该接口未声明访问规则，一律拒绝：请联系平台运维人员。")
        caller = current_caller()
        if not caller.may(allowed):
            if caller.anonymous:
                raise Problem(401, "unauthenticated", "Log in to call this endpoint",
                              message_zh="尚未登录：请先登录再操作。")
            raise Problem(403, "forbidden", "Your role may not call this endpoint",
                          f"Allowed: {', '.join(sorted(allowed))}.",
                          message_zh="您的角色不能进行此项操作：请用有权限的账号登录。")


def undeclared_endpoints(app: Flask) -> list[str]:
    """Routes that declare no access rule (``create_service_app`` refuses to start with any)."""
    missing = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if declared_access(view, method) is None:
                missing.append(f"{method} {rule.rule}")
    return missing
