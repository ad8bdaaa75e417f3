"""Assignment tables (SQLAlchemy 2.0 typed models)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from realname_assignment.project_rules import ACTIVE, MAX_REGISTRATION_NUMBER
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


class Project(Base):
    """A project (报建项目) as its general contractor registered it: the root of its contract chains (R21)."""

    __tablename__ = "projects"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                     autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str] = mapped_column(String(MAX_REGISTRATION_NUMBER), unique=True)
    address: Mapped[str] = mapped_column(String(500))
    planned_start: Mapped[date] = mapped_column(Date)
    planned_completion: Mapped[date] = mapped_column(Date)
    general_contractor_id: Mapped[str] = mapped_column(ForeignKey("parties.enterprise_id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
