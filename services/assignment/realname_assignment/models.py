"""Assignment tables (SQLAlchemy 2.0 typed models)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from realname_kit.bus.outbox import Outbox
from realname_kit.bus.tables import messaging_tables
from realname_kit.timeutil import utcnow
from realname_kit.types import UtcDateTime


class Base(DeclarativeBase):
    pass


outbox, inbox = messaging_tables(Base.metadata)
OUTBOX = Outbox(outbox, "assignment")


class Party(Base):
    """An enterprise as the contract chain knows it: who may employ, and who may confirm entry."""

    __tablename__ = "parties"

    enterprise_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    unit_type: Mapped[str] = mapped_column(String(3))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
