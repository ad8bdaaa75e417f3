"""Rate limits on login attempts and on writes, refused with 429 problem+json and ``Retry-After``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Flask, Request, Response, request

from realname_kit.auth import current_caller
from realname_kit.hardening.limits import rewind_body
from realname_kit.hardening.ratelimit import Decision, Limiter, Rate
from realname_kit.problems import problem_response

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LoginPredicate = Callable[[Request], str | None]


def install_rate_limits(app: Flask, limiter: Limiter, *, login_rate: Rate, write_rate: Rate,
                        login_paths: LoginPredicate) -> None:
    """``login_paths(request)`` names the account a login request tries (``""``: none given), or is None
    for any other request. A login counts against ``login:ip:<addr>`` and ``login:acct:<name>`` (not as a
    write); any other POST/PUT/PATCH/DELETE against ``write:ip:<addr>`` and, for a caller with a token,
    ``write:sub:<subject>``. Anonymous writers are counted by address only: one bucket shared by every
    anonymous client would let one of them lock all the others out.

    Install after ``install_access_control`` (before it, every caller looks anonymous). The address is
    checked first and a refusal stops there, so that requests refused by address do not use up the
    account's attempts (which would let anyone lock an account out from a throttled address more easily).
    """
    @app.before_request
    def _limit() -> Response | None:
        account = login_paths(request)
        rewind_body()  # the predicate may have read a body that a proxy streams on
        addr = client_address()
        if account is not None:
            checks = [(f"login:ip:{addr}", login_rate)]
            if account:
                checks.append((f"login:acct:{_account_key(account)}", login_rate))
        elif request.method in WRITES:
            checks = [(f"write:ip:{addr}", write_rate)]
            subject = current_caller().subject
            if subject is not None:
                checks.append((f"write:sub:{subject}", write_rate))
        else:
            return None
        for key, rate in checks:
            decision = limiter.hit(key, rate)
            if not decision.allowed:
                return _too_many(decision, key.split(":", 2)[:2])
        return None


def client_address() -> str:
    """The client's address: the peer's, or behind trusted proxies the one they forwarded (``trust_proxies``).
    An X-Forwarded-For no trusted proxy wrote is not read: any client can write it, and would pick a fresh
    "address" per request to escape the limits."""
    return request.remote_addr or "unknown"


def _account_key(account: str) -> str:
    """Case and surrounding space do not make a new account; long names are hashed to bound key sizes."""
    name = account.strip().casefold()
    return name if len(name) <= 128 else "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def _too_many(decision: Decision, scope: list[str]) -> Response:
    kind, by = scope
    what = "Login attempts" if kind == "login" else "Writes"
    whom = {"ip": "from this address", "acct": "for this account", "sub": "by this caller"}[by]
    response = problem_response(429, "rate_limited", "Too many requests",
                                f"{what} {whom} are over their limit; try again in {decision.retry_after} s.",
                                retry_after=decision.retry_after)
    response.headers["Retry-After"] = str(decision.retry_after)
    return response
