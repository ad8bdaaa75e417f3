"""``Idempotency-Key`` on writes: a retried request gets the first answer and changes nothing a second time (R33).

The key is claimed by inserting its row at the start of the very transaction that makes the change, and the
answer is stored in that row before the commit. A twin sent while the first is still running waits on the row's
unique index and, once the first commits, replays its answer; when the first fails, nothing was stored and the
twin runs itself. A key reused for a different request is refused: a client bug, never silently a no-op.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Response, request
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from realname_kit.auth import current_caller
from realname_kit.db import Database
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow
from realname_kit.types import UtcDateTime

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP_FOR = timedelta(hours=24)  # a client retries within minutes; a day covers a night's outage too
ATTEMPTS = 3  # a concurrent twin makes the first attempt fail at most once per row it shares
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")

Operation = Callable[[Session], tuple[int, Any]]  # runs inside the transaction: (status, JSON-ready body)


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys", metadata,
        Column("subject", String(120), primary_key=True),  # keys are the caller's own: two callers never collide
        Column("key", String(200), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("status", Integer, nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False, default=utcnow, index=True),
    )


def run_once(db: Database, table: Table, operation: Operation, headers: dict[str, str] | None = None,
             kept: Callable[[Any], Any] | None = None) -> Response:
    """Run ``operation`` in one transaction and answer its result; with a key, at most once per key.

    ``kept``: what of the answer is stored for a retry, when the answer holds something shown once (a password,
    never stored in clear): the retry gets that instead.

    A unique index the operation runs into (a concurrent request made the same row first) rolls everything
    back and runs it again, when the operation sees what the other request made and answers accordingly.
    """
    key = request.headers.get(HEADER)
    if key is not None and not _VALID_KEY.match(key):
        raise Problem(400, "idempotency_key_invalid", f"{HEADER} must be 1-200 visible ASCII characters",
                      "Send a UUID made once per intended change, and the same one on every retry.",
                      message_zh="幂等键（Idempotency-Key）格式不对：请为每次操作生成一个 UUID，重试时沿用同一个。")
    subject = current_caller().subject or "anonymous"
    fingerprint = _fingerprint() if key is not None else ""  # hashing a 1,000-item body only when it is kept
    for attempt in range(ATTEMPTS):
        try:
            with db.transaction() as session:
                if key is not None:
                    _claim(session, table, subject, key, fingerprint)
                status, body = operation(session)
                if key is not None:
                    session.execute(update(table).where(table.c.subject == subject, table.c.key == key)
                                    .values(status=status, body=json.dumps(kept(body) if kept else body,
                                                                           ensure_ascii=False, default=str)))
            return _answer(status, body, headers)
        except IntegrityError:
            stored = _stored(db, table, subject, key) if key is not None else None
            if stored is not None:
                return _replay(stored, fingerprint, headers)
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _claim(session: Session, table: Table, subject: str, key: str, fingerprint: str) -> None:
    # The caller's expired keys are forgotten here (the primary key's first column finds them), so the table holds
    # about a day of each caller's writes, and the same key can start afresh a day later.
    session.execute(delete(table).where(table.c.subject == subject, table.c.created_at < utcnow() - KEEP_FOR))
    session.execute(insert(table).values(subject=subject, key=key, fingerprint=fingerprint, status=0, body=""))


def _stored(db: Database, table: Table, subject: str, key: str) -> Any:
    with db.transaction() as session:
        return session.execute(select(table.c.fingerprint, table.c.status, table.c.body)
                               .where(table.c.subject == subject, table.c.key == key)).first()


def _replay(stored: Any, fingerprint: str, headers: dict[str, str] | None) -> Response:
    if stored.fingerprint != fingerprint:
        raise Problem(422, "idempotency_key_reused", f"This {HEADER} was used for a different request",
                      "Make a new key for each intended change; send the same key only to retry the same request.",
                      message_zh="这个幂等键（Idempotency-Key）已用于另一个请求：每次新的操作请用新的键，只有重试同一"
                                 "请求时才沿用。")
    return _answer(stored.status, json.loads(stored.body), {**(headers or {}), REPLAYED_HEADER: "true"})


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode() + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _answer(status: int, body: Any, headers: dict[str, str] | None) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                        mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
