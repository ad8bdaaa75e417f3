"""Attendance tables (SQLAlchemy 2.0 typed models)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from realname_kit.bus.outbox import Outbox
from realname_kit.bus.tables import messaging_tables


class Base(DeclarativeBase):
    pass


outbox, inbox = messaging_tables(Base.metadata)
OUTBOX = Outbox(outbox, "attendance")
