"""Registry tables (SQLAlchemy 2.0 typed models)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from realname_kit.bus.outbox import Outbox
from realname_kit.bus.tables import messaging_tables
from realname_kit.timeutil import utcnow
from realname_kit.types import UtcDateTime


class Base(DeclarativeBase):
    pass


outbox, inbox = messaging_tables(Base.metadata)
OUTBOX = Outbox(outbox, "registry")


class Enterprise(Base):
    __tablename__ = "enterprises"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                     autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
