"""Reporting read models (SQLAlchemy 2.0 typed models), built from events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from realname_kit.bus.outbox import Outbox
from realname_kit.bus.tables import messaging_tables
from realname_kit.timeutil import utcnow
from realname_kit.types import UtcDateTime


class Base(DeclarativeBase):
    pass


outbox, inbox = messaging_tables(Base.metadata)
OUTBOX = Outbox(outbox, "reporting")


class DirectoryEntry(Base):
    """The enterprise directory regulators read: every registered enterprise, by kind."""

    __tablename__ = "enterprise_directory"
    __table_args__ = (Index("ix_directory_kind_registered", "kind", "registered_at", "enterprise_id"),)

    enterprise_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18))
    kind: Mapped[str] = mapped_column(String(30))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditEntry(Base):
    """One audited act of any service (``audit.recorded``). Append-only: the migration adds triggers
    that refuse UPDATE, DELETE and TRUNCATE on this table."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at", "seq"),
        Index("ix_audit_log_action", "action", "at", "seq"),
        Index("ix_audit_log_actor", "actor_subject", "at", "seq"),
        Index("ix_audit_log_enterprise", "actor_enterprise_id", "at", "seq"),
        Index("ix_audit_log_subject", "subject", "at", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                     autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)  # the event's id
    at: Mapped[datetime] = mapped_column(UtcDateTime())       # when the act happened
    action: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))
    actor_subject: Mapped[str | None] = mapped_column(String(200))
    actor_enterprise_id: Mapped[str | None] = mapped_column(String(64))
    actor_roles: Mapped[str] = mapped_column(String(1100))  # JSON list
    actor_kind: Mapped[str | None] = mapped_column(String(30))
    subject: Mapped[str | None] = mapped_column(String(200))
    field: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)  # JSON object
    client_address: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(40))  # the service that recorded it
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
