"""Rate limits on failed logins, login challenges and writes, refused with 429 problem+json and ``Retry-After``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Flask, Request, Response, g, request

from realname_kit.auth import current_caller
from realname_kit.hardening.limits import rewind_body
from realname_kit.hardening.ratelimit import Decision, Limiter, Rate
from realname_kit.problems import problem_response

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LoginPredicate = Callable[[Request], str | None]
ChallengePredicate = Callable[[Request], bool]


def _never(_request: Request) -> bool:
    return False


def install_rate_limits(app: Flask, limiter: Limiter, *, login_rate: Rate, write_rate: Rate,
                        login_paths: LoginPredicate, login_address_rate: Rate | None = None,
                        challenge_rate: Rate | None = None, challenge_paths: ChallengePredicate = _never) -> None:
    """``login_paths(request)`` names the account a login request tries (``""``: none given), or is None
    for any other request. A login counts against ``login:ip:<addr>`` (``login_address_rate``, by default
    ``login_rate``) and ``login:acct:<name>@<addr>`` (``login_rate``: the account from that address only, so that
    failures from elsewhere never throttle its owner; the service slows down guessing spread over many
    addresses itself), not as a write, and only when it FAILS (a 4xx
    answer): while it runs it holds its place, and a login that succeeds gives it back. So an office of clerks
    behind one address is not throttled by its own successful logins, and guessing still is. A request that
    ``challenge_paths`` names (asking for a login challenge) counts against ``challenge:ip:<addr>``
    (``challenge_rate``): generous, against flooding only. Any other POST/PUT/PATCH/DELETE counts against
    ``write:ip:<addr>`` and, for a caller with a token, ``write:sub:<subject>``. Anonymous writers are counted
    by address only: one bucket shared by every anonymous client would let one of them lock all the others out.

    Install after ``install_access_control`` (before it, every caller looks anonymous). The address is
    checked first and a refusal stops there and gives back what the request took, so that requests refused by
    address do not use up the account's attempts (which would let anyone lock an account out more easily).
    """
    address_rate = login_address_rate or login_rate

    @app.before_request
    def _limit() -> Response | None:
        account = login_paths(request)
        rewind_body()  # the predicate may have read a body that a proxy streams on
        addr = client_address()
        if challenge_paths(request):
            checks = [(f"challenge:ip:{addr}", challenge_rate or address_rate)]
        elif account is not None:
            checks = [(f"login:ip:{addr}", address_rate)]
            if account:
                checks.append((f"login:acct:{_account_key(account)}@{addr}", login_rate))
        elif request.method in WRITES:
            checks = [(f"write:ip:{addr}", write_rate)]
            subject = current_caller().subject
            if subject is not None:
                checks.append((f"write:sub:{subject}", write_rate))
        else:
            return None
        taken: list[tuple[str, Rate]] = []
        for key, rate in checks:
            decision = limiter.hit(key, rate)
            if not decision.allowed:
                _give_back(limiter, taken)
                return _too_many(decision, key.split(":", 2)[:2])
            taken.append((key, rate))
        if account is not None:
            g.login_places = taken
        return None

    @app.after_request
    def _settle(response: Response) -> Response:
        places = g.pop("login_places", None)
        if places and not 400 <= response.status_code < 500:
            _give_back(limiter, places)  # a login that succeeded (or that the server failed) is not a failure
        return response


def _give_back(limiter: Limiter, taken: list[tuple[str, Rate]]) -> None:
    for key, rate in taken:
        limiter.refund(key, rate)


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
    what = {"login": "Failed logins", "challenge": "Login challenges"}.get(kind, "Writes")
    whom = {"ip": "from this address", "acct": "for this account from this address", "sub": "by this caller"}[by]
    response = problem_response(429, "rate_limited", "Too many requests",
                                f"{what} {whom} are over their limit; try again in {decision.retry_after} s.",
                                retry_after=decision.retry_after,
                                message_zh=f"操作太频繁：请 {decision.retry_after} 秒后再试。")
    response.headers["Retry-After"] = str(decision.retry_after)
    return response
