"""Access tokens refused before they expire: the deny-list every service keeps.

Access tokens are verified by each service itself and live minutes; when the issuer ends a session or takes
rights back, the tokens already out must stop working everywhere within seconds. The issuer records a
``Denial`` in its own ``token_denials`` table and, in the same transaction, publishes it (``DENIAL_EVENT``
through its outbox); every service learns it into its own ``token_denials`` (``learn_denial``). Each web process
reads its table whole at most every ``FRESH_SECONDS`` (``DenyList``): a request costs a dictionary lookup, and
the first one after that interval one small query. A row is kept until the tokens it refuses have expired.

Two kinds of denial, by a claim of the token:
- ``sid`` (the session): every token of that session is refused;
- ``sub`` (the subject) with ``below_version``: its tokens whose ``gv`` (the version of what they grant) is lower
  are refused, so that tokens issued afterwards, with the new rights, work; without a version, all its tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, case, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from realname_kit.bus.envelope import Envelope
from realname_kit.bus.outbox import Outbox
from realname_kit.bus.topology import Binding, QueueSpec
from realname_kit.db import Database
from realname_kit.timeutil import utcnow
from realname_kit.types import UtcDateTime

DENIAL_EVENT = "access.denied"
ISSUER = "gateway"  # the one publisher of denials: the service that issues the tokens
SESSION, SUBJECT = "sid", "sub"
VERSION_CLAIM = "gv"
FRESH_SECONDS = 1.0  # how old a web process's copy may be: a denial applies everywhere within seconds


def denial_table(metadata: MetaData) -> Table:
    return Table(
        "token_denials", metadata,
        Column("claim", String(8), primary_key=True),
        Column("value", String(100), primary_key=True),
        Column("below_version", Integer),  # NULL: every token with this claim value
        Column("expires_at", UtcDateTime(), nullable=False, index=True),  # when the last token it refuses expires
    )


_TABLE = denial_table(MetaData())


@dataclass(frozen=True, slots=True)
class Denial:
    claim: str  # SESSION or SUBJECT
    value: str
    expires_at: datetime
    below_version: int | None = None

    def as_event(self) -> dict[str, Any]:
        return {"claim": self.claim, "value": self.value, "below_version": self.below_version,
                "expires_at": self.expires_at.isoformat()}

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> Denial:
        if data["claim"] not in (SESSION, SUBJECT):
            raise ValueError(f"unknown claim {data['claim']!r}")
        version = data.get("below_version")
        return cls(claim=data["claim"], value=str(data["value"]), expires_at=_instant(data["expires_at"]),
                   below_version=None if version is None else int(version))


def _instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError(f"an instant without its offset: {text!r}")
    return instant


def deny(session: Session, outbox: Outbox | None, denial: Denial) -> None:
    """Record the denial (the issuer: and publish it). Repeated or overlapping, the stricter and longer wins."""
    store(session, denial)
    if outbox is not None:
        outbox.record(session, DENIAL_EVENT, denial.as_event())


def store(session: Session, denial: Denial) -> None:
    """One statement, so that two denials of the same key at once keep the stricter version and the later expiry."""
    t = _TABLE
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(t).values(claim=denial.claim, value=denial.value, below_version=denial.below_version,
                                         expires_at=denial.expires_at)
    new = statement.excluded
    session.execute(statement.on_conflict_do_update(index_elements=[t.c.claim, t.c.value], set_={
        "below_version": case((or_(t.c.below_version.is_(None), new.below_version.is_(None)), None),
                              (t.c.below_version > new.below_version, t.c.below_version),
                              else_=new.below_version),
        "expires_at": case((t.c.expires_at > new.expires_at, t.c.expires_at), else_=new.expires_at),
    }))


def learn_denial(session: Session, envelope: Envelope) -> None:
    """The handler of ``DENIAL_EVENT`` in every service."""
    store(session, Denial.from_event(envelope.data))


def denial_queue(service: str) -> QueueSpec:
    """The queue on which ``service`` learns the denials (with ``DENIAL_HANDLERS`` among its handlers)."""
    return QueueSpec(service, "token-denials", (Binding(ISSUER, DENIAL_EVENT),))


DENIAL_HANDLERS = {DENIAL_EVENT: learn_denial}


class DenyList:
    """A web process's copy of its service's ``token_denials``, read again when older than ``fresh_seconds``.

    Several gunicorn workers and replicas each keep their own copy of the same table: nothing to share. When
    the database cannot be read, the request fails (no token is taken as valid without knowing).
    """

    def __init__(self, db: Database, fresh_seconds: float = FRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.db, self.fresh_seconds, self.clock = db, fresh_seconds, clock
        self._denied: dict[tuple[str, str], int | None] = {}
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def refuses(self, claims: Mapping[str, Any]) -> bool:
        denied = self._current()
        if (SESSION, str(claims.get(SESSION))) in denied:
            return True
        key = (SUBJECT, str(claims.get(SUBJECT)))
        if key not in denied:
            return False
        below = denied[key]
        version = claims.get(VERSION_CLAIM, 0)
        return below is None or not isinstance(version, int) or version < below

    def _current(self) -> dict[tuple[str, str], int | None]:
        now = self.clock()
        if self._read_at is not None and now - self._read_at < self.fresh_seconds:
            return self._denied
        with self._lock:
            if self._read_at is None or now - self._read_at >= self.fresh_seconds:
                self._denied = self._read()
                self._read_at = self.clock()
        return self._denied

    def _read(self) -> dict[tuple[str, str], int | None]:
        t = _TABLE
        with self.db.transaction() as session:
            rows = session.execute(select(t.c.claim, t.c.value, t.c.below_version)
                                   .where(t.c.expires_at > utcnow())).all()
        return {(r.claim, r.value): r.below_version for r in rows}
