"""Reporting read models (SQLAlchemy 2.0 typed models), built from events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from realname_kit.bus.outbox import Outbox
from realname_kit.bus.tables import messaging_tables
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
