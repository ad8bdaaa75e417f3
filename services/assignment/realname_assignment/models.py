"""Assignment tables (SQLAlchemy 2.0 typed models)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from realname_assignment.project_rules import ACTIVE, MAX_REGISTRATION_NUMBER
from realname_kit.bus.outbox import Outbox
from realname_kit.bus.tables import messaging_tables
from realname_kit.idempotency import idempotency_table
from realname_kit.timeutil import utcnow
from realname_kit.types import UtcDateTime


class Base(DeclarativeBase):
    pass


outbox, inbox = messaging_tables(Base.metadata)
OUTBOX = Outbox(outbox, "assignment")
IDEMPOTENCY = idempotency_table(Base.metadata)


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


_SEQ = BigInteger().with_variant(Integer(), "sqlite")
LIVE_INDEX_WHERE = "status IN ('requested', 'accepted')"  # one live assignment per worker and project (R20)


class Contract(Base):
    """One link of a project's contract chain (R21, R22): who awarded which subcontract to whom.

    Tier 0 is the project's own: the general contractor holds it, for its own site staff (R13), made with the
    project. Tier 1 hangs under the general contractor (``parent_id`` None); tier 2 is a labour subcontract that
    a first-tier specialty subcontractor awards beneath its own (``parent_id`` its contract).
    """

    __tablename__ = "contracts"
    __table_args__ = (UniqueConstraint("project_id", "awarded_by", "contractor_id", name="uq_contracts_link"),)

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    tier: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # general (tier 0) | specialty | labour
    awarded_by: Mapped[str] = mapped_column(ForeignKey("parties.enterprise_id"), index=True)
    contractor_id: Mapped[str] = mapped_column(ForeignKey("parties.enterprise_id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))  # None: lists show the project's name, marked (R22)
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)  # active | completed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class KnownWorker(Base):
    """A worker as the registry announced them (worker.registered/updated, employment.ended): whom may be assigned."""

    __tablename__ = "workers"
    # The workforce query's name search (R14, R21) on PostgreSQL (pg_trgm); on SQLite a plain index.
    __table_args__ = (
        Index("ix_workers_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
    )

    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employer_id: Mapped[str | None] = mapped_column(String(36), index=True)  # None: no active employment
    employment_id: Mapped[str | None] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(60))
    # As the registry masks them (R4): the plain numbers never leave the registry. None: not announced yet.
    id_number_masked: Mapped[str | None] = mapped_column(String(24))
    phone_masked: Mapped[str | None] = mapped_column(String(24))
    trade_code: Mapped[str | None] = mapped_column(String(3))
    team_id: Mapped[str | None] = mapped_column(String(36))
    category: Mapped[str] = mapped_column(String(20))  # construction | site_staff | management
    identity_status: Mapped[str] = mapped_column(String(20))  # verified | unverified | rejected
    employment_status: Mapped[str] = mapped_column(String(20))  # active | ended
    deceased: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=0)  # the registry's version: an older event is ignored
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # when the current employment began
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class KnownTeam(Base):
    """A team (班组) as the registry announced it (team.formed): one employer's, on one project (R16)."""

    __tablename__ = "teams"

    team_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employer_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(50))
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Assignment(Base):
    """A worker put on a project through a contract, and what the using enterprise decided (R18-R20, R24).

    One live assignment (requested or accepted) per worker and project, enforced by a partial unique index:
    accepting twice, two operators at once, a retry after a timeout can never put a worker on a project twice.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        Index("uq_assignments_live_worker_project", "project_id", "worker_id", unique=True,
              postgresql_where=text(LIVE_INDEX_WHERE), sqlite_where=text(LIVE_INDEX_WHERE)),
        Index("ix_assignments_project_status", "project_id", "status", "seq"),
        Index("ix_assignments_project_seq", "project_id", "seq"),  # a project's pages, whatever the statuses
    )

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.worker_id"), index=True)
    employer_id: Mapped[str] = mapped_column(String(36), index=True)
    team_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))  # requested | accepted | rejected | withdrawn | exited
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(120))
    entry_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the moment of acceptance (R19), never edited
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    exited_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # employment_ended | deceased | contract_completed | project_completed (R24)
    exit_cause: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
