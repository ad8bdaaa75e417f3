"""The simulated identity authority over HTTP, speaking the wire contract of ``authority.client``.

A request is answered in this order: base latency; a malformed request is refused (400); outside opening hours
503 closed; then at most one drawn mishap (a 5xx, a garbled 200, a refusing 400, or an answer slower than any client
waits for); then the verdict, the same again for a repeated ``Idempotency-Key``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask.typing import ResponseReturnValue

from realname_identity.authority.client import IDEMPOTENCY_HEADER
from realname_identity.authority_sim.calendar import AuthorityCalendar
from realname_identity.authority_sim.failures import Dice, Failures, Mishap
from realname_identity.authority_sim.register import Register
from realname_identity.authority_sim.replays import KeyReused, Replays
from realname_kit.timeutil import CHINA, utcnow

_GARBLED = "<html><head><title>302 Found</title></head><body>请先登录 / please log in</body></html>"


@dataclass(frozen=True, slots=True)
class _Query:
    id_number: str
    name: str
    valid_from: date
    valid_to: date | None


def create_app(data_file: Path, calendar: AuthorityCalendar, failures: Failures,
               clock: Callable[[], datetime] = utcnow, sleep: Callable[[float], None] = time.sleep) -> Flask:
    """``clock`` returns an aware instant (tests move it); ``sleep`` is how latency and slowness are spent."""
    register, dice, replays = Register.load(data_file), Dice(failures), Replays()
    app = Flask("realname_authority_sim")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        return {"status": "ok", "open": calendar.is_open(clock()), "people": len(register.people)}

    @app.post("/v1/verify")
    def verify() -> ResponseReturnValue:
        sleep(failures.base_latency_seconds)
        query = _query(request.get_json(silent=True))
        if query is None:
            return {"error": "bad_request", "detail": "expected {id_number, name, valid_from, valid_to} "
                                                      "with ISO dates (valid_to may be null)"}, 400
        now = clock()
        if not calendar.is_open(now):
            reopens = calendar.reopens_at(now)
            return {"closed": True, "reopens_at": reopens.isoformat() if reopens else None}, 503
        mishap, status = dice.roll()
        failed = _failed(mishap, status)
        if failed is not None:
            return failed
        if mishap == "slow":
            sleep(failures.slow_seconds)
        today = now.astimezone(CHINA).date()
        try:
            verdict = replays.answer(request.headers.get(IDEMPOTENCY_HEADER), _fingerprint(query),
                                     lambda: register.verdict(query.id_number, query.name, query.valid_to, today))
        except KeyReused:
            return {"error": "idempotency_key_reused", "detail": "this key came with a different request"}, 422
        return {"verdict": verdict.value}

    return app


def _failed(mishap: Mishap, status: int) -> ResponseReturnValue | None:
    """The answer of a mishap that takes the place of the verdict; None when the verdict still comes."""
    if mishap == "error":
        return {"error": "internal_error"}, status
    if mishap == "refused":
        return {"error": "refused", "detail": "the authority does not take this question"}, 400
    if mishap == "garbled":
        return Response(_GARBLED, 200, mimetype="text/html")
    return None


def _query(body: Any) -> _Query | None:
    if not isinstance(body, dict):
        return None
    id_number, name, valid_from, valid_to = (body.get(k) for k in ("id_number", "name", "valid_from", "valid_to"))
    if not (isinstance(id_number, str) and isinstance(name, str) and isinstance(valid_from, str)):
        return None
    if not (valid_to is None or isinstance(valid_to, str)):
        return None
    try:
        return _Query(id_number, name, date.fromisoformat(valid_from),
                      date.fromisoformat(valid_to) if valid_to else None)
    except ValueError:
        return None


def _fingerprint(query: _Query) -> str:
    return json.dumps(asdict(query), default=str, sort_keys=True, ensure_ascii=False)
