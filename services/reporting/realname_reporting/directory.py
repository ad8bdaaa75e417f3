"""The enterprise directory read model: fed by ``enterprise.registered``, read by regulators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage
from realname_kit.db import Database
from realname_kit.pagination import cursor_position, encode_cursor
from realname_reporting.models import DirectoryEntry


def record_enterprise(session: Session, event: Envelope) -> None:
    data = event.data
    try:
        entry = DirectoryEntry(enterprise_id=str(data["enterprise_id"]), name=str(data["name"]),
                               uscc=str(data["uscc"]), kind=str(data["kind"]),
                               registered_at=datetime.fromisoformat(str(data["registered_at"])))
    except (KeyError, ValueError) as exc:
        raise PoisonMessage(f"enterprise.registered without a valid {exc}") from exc
    if session.get(DirectoryEntry, entry.enterprise_id) is None:
        session.add(entry)


def browse_directory(db: Database, kind: str | None, limit: int,
                     cursor: str | None) -> tuple[list[DirectoryEntry], str | None]:
    """Newest registrations first, optionally of one kind."""
    query = select(DirectoryEntry)
    if kind:
        query = query.where(DirectoryEntry.kind == kind)
    position = cursor_position(cursor, {"at": datetime, "id": str})
    if position is not None:
        query = query.where(tuple_(DirectoryEntry.registered_at, DirectoryEntry.enterprise_id)
                            < (position["at"], position["id"]))
    query = query.order_by(DirectoryEntry.registered_at.desc(), DirectoryEntry.enterprise_id.desc())
    with db.transaction() as session:
        rows = list(session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    return rows, (encode_cursor({"at": last.registered_at.isoformat(), "id": last.enterprise_id})
                  if more and last else None)
