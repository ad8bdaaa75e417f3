"""Registry tables (SQLAlchemy 2.0 typed models).

Personal numbers (R4) are stored encrypted with a blind index (``realname_kit.privacy``): the ID number
and phone of a worker, the wage-card number of an employment. ``*_tail_bidx`` columns index the last
four characters so a person can search by the digits a mask shows, without the number being stored.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from realname_kit.bus.outbox import Outbox
from realname_kit.bus.tables import messaging_tables
from realname_kit.privacy import ProtectedField
from realname_kit.timeutil import utcnow
from realname_kit.types import UtcDateTime

_BIGINT = BigInteger().with_variant(Integer(), "sqlite")
_MONEY = Numeric(12, 2)


class Base(DeclarativeBase):
    pass


# FTS5 keeps its own tables beside ours; migrations create them, the models do not describe them.
Base.metadata.info["unmanaged_table_prefixes"] = ("workers_fts",)

outbox, inbox = messaging_tables(Base.metadata)
OUTBOX = Outbox(outbox, "registry")

ID_NUMBER = ProtectedField("registry.workers", "id_number", kind="id_number")
PHONE = ProtectedField("registry.workers", "phone", kind="phone")
WAGE_CARD = ProtectedField("registry.employments", "wage_card_number", kind="bank_card")
READ_ID_NUMBER = ProtectedField("registry.card_reads", "id_number", kind="id_number",
                                index_field="registry.workers.id_number")  # matched against workers
ID_TAIL_FIELD, PHONE_TAIL_FIELD = "registry.workers.id_tail", "registry.workers.phone_tail"


def _uuid() -> str:
    return str(uuid.uuid4())


class Enterprise(Base):
    __tablename__ = "enterprises"

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=_uuid)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Worker(Base):
    """A person, once (the ID number is unique): who they are, as their card says."""

    __tablename__ = "workers"
    __table_args__ = (
        # Fuzzy name search on PostgreSQL (pg_trgm); on SQLite the same index is a plain one, and the
        # FTS5 trigram table made by the migration does the fuzzy part.
        Index("ix_workers_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
        # Rare statuses and categories (unverified, management) are found without a scan of every worker.
        Index("ix_workers_identity_status_seq", "identity_status", "seq"),
        Index("ix_workers_category_seq", "category", "seq"),
    )

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=_uuid)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(6))
    ethnicity: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[date] = mapped_column(Date)
    address: Mapped[str] = mapped_column(String(200))
    issuing_authority: Mapped[str] = mapped_column(String(100))
    card_valid_from: Mapped[date] = mapped_column(Date)
    card_valid_to: Mapped[date | None] = mapped_column(Date)  # None: long-term (长期)
    id_number_enc: Mapped[str] = mapped_column(Text)
    id_number_bidx: Mapped[str] = mapped_column(String(64), unique=True)  # one person, one record
    id_tail_bidx: Mapped[str] = mapped_column(String(64), index=True)
    phone_enc: Mapped[str] = mapped_column(Text)
    phone_bidx: Mapped[str] = mapped_column(String(64), index=True)
    phone_tail_bidx: Mapped[str] = mapped_column(String(64), index=True)
    identity_status: Mapped[str] = mapped_column(String(12))  # verified, unverified, rejected
    identity_reason: Mapped[str | None] = mapped_column(String(40))
    card_read_id: Mapped[str | None] = mapped_column(String(36))
    category: Mapped[str] = mapped_column(String(20))  # construction, site_staff (R13), management (R36)
    site_role: Mapped[str | None] = mapped_column(String(20))
    deceased_on: Mapped[date | None] = mapped_column(Date)  # R24: recorded once; never registered again
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)  # the ETag: bumped by any change (R11)


class NameGram(Base):
    """Every one- and two-character piece of every name: what trigram indexes cannot find (``张``, ``李四``)."""

    __tablename__ = "worker_name_grams"

    gram: Mapped[str] = mapped_column(String(2), primary_key=True)
    worker_seq: Mapped[int] = mapped_column(_BIGINT, ForeignKey("workers.seq", ondelete="CASCADE"),
                                            primary_key=True)


class Team(Base):
    """A team (班组) of one employer on one project, named once there (R16)."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("employer_id", "project_id", "name", name="uq_teams_employer_project_name"),)

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=_uuid)
    employer_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(50))
    leader_worker_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Employment(Base):
    """A labour contract between a worker and an employer (R5); at most one active per worker (R12)."""

    __tablename__ = "employments"
    __table_args__ = (
        Index("uq_employments_one_active_per_worker", "worker_id", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
        Index("ix_employments_employer_status", "employer_id", "status", "worker_seq"),
    )

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=_uuid)
    worker_id: Mapped[str] = mapped_column(String(36), ForeignKey("workers.id"), index=True)
    worker_seq: Mapped[int] = mapped_column(_BIGINT)
    employer_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(10))  # active, ended
    worker_type: Mapped[str] = mapped_column(String(12))
    contract_number: Mapped[str] = mapped_column(String(60))
    contract_start: Mapped[date] = mapped_column(Date)
    contract_end: Mapped[date] = mapped_column(Date)
    wage_type: Mapped[str] = mapped_column(String(40))
    daily_wage: Mapped[Decimal | None] = mapped_column(_MONEY)
    base_wage: Mapped[Decimal | None] = mapped_column(_MONEY)
    probation_wage: Mapped[Decimal | None] = mapped_column(_MONEY)
    performance_payouts_per_year: Mapped[int | None] = mapped_column(Integer)
    bank_code: Mapped[str] = mapped_column(String(10))
    bank_name: Mapped[str | None] = mapped_column(String(60))
    wage_card_number_enc: Mapped[str] = mapped_column(Text)
    wage_card_number_bidx: Mapped[str] = mapped_column(String(64), index=True)
    wage_card_flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # R8: Luhn miss, flagged
    trade_code: Mapped[str | None] = mapped_column(String(3), index=True)
    team_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("teams.id"), index=True)
    registered_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(500))  # as the employer or regulator wrote it
    end_cause: Mapped[str | None] = mapped_column(String(20))  # resignation, death (R24): what ended it
    evidence_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("evidence_files.id"))


class HistoryEntry(Base):
    """One change of a worker's employment (R15): who, when, and each field before and after."""

    __tablename__ = "employment_history"

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    worker_id: Mapped[str] = mapped_column(String(36), index=True)
    employment_id: Mapped[str | None] = mapped_column(String(36))
    employer_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(64))
    actor_enterprise_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)  # field -> [before, after]; numbers masked


EVIDENCE_CONTENT_CONTEXT = "registry.evidence_files.content"


class EvidenceFile(Base):
    """A file backing a late resignation or death (R25): a PDF or JPEG, encrypted (it may show an ID number, R4).

    ``content_enc`` is nullable only because SQLite cannot tighten a column of a table others refer to
    without rebuilding it; every row has it (``realname_kit.privacy.blobs``, ``EVIDENCE_CONTENT_CONTEXT``).
    """

    __tablename__ = "evidence_files"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    employer_id: Mapped[str] = mapped_column(String(36), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_enc: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Project(Base):
    """A project as the registry knows it, from ``project.registered`` (teams belong to one, R16)."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str] = mapped_column(String(40))
    general_contractor_id: Mapped[str] = mapped_column(String(36))
    planned_completion: Mapped[date] = mapped_column(Date)
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # from ``project.completed``


class ProjectContract(Base):
    """A contract of a project's chain, from ``contract.awarded`` and ``contract.completed``: who takes part.

    ``contractor_id`` is None while only the contract's completion is known (its award arrives later).
    """

    __tablename__ = "project_contracts"

    contract_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    contractor_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(20))  # active | completed
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CardRead(Base):
    """A card read the identity service announced: the fields a registration takes as they are (R1).

    ``pending`` (``identity.read_pending``: the authority has not answered yet, R3) or ``verified`` fill a
    registration in; ``rejected`` (``identity.rejected``, with its reason) no longer does.
    """

    __tablename__ = "card_reads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'verified'"))  # pending|verified|rejected
    reason: Mapped[str | None] = mapped_column(String(40))  # why rejected (R2)
    employer_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(6))
    ethnicity: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[date] = mapped_column(Date)
    address: Mapped[str] = mapped_column(String(200))
    issuing_authority: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    id_number_enc: Mapped[str] = mapped_column(Text)
    id_number_bidx: Mapped[str] = mapped_column(String(64), index=True)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ImportJob(Base):
    """An uploaded workbook and how far its rows have got (R10). The same file twice is one job.

    The file holds ID and bank-card numbers: it is kept encrypted, and only until the job has finished.
    """

    __tablename__ = "import_jobs"
    __table_args__ = (UniqueConstraint("employer_id", "kind", "target", "sha256", name="uq_import_jobs_file"),)

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=_uuid)
    employer_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # workers, team
    target: Mapped[str] = mapped_column(String(36), default="")  # project (workers) or team (team import)
    employer_role: Mapped[str] = mapped_column(String(30))  # labour or general_contractor: what it may register
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    headers: Mapped[list[str] | None] = mapped_column(JSON)  # the sheet's header row, for the error copy
    content_enc: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), index=True)  # queued, running, done, failed
    total_rows: Mapped[int | None] = mapped_column(Integer)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    already_registered: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    failure: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # why the whole file was refused
    error_copy_enc: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    stepped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # its last step: whose turn is next


class ImportRow(Base):
    """One data row of an import, read once and kept (encrypted) until its job is done: chunks resume here."""

    __tablename__ = "import_rows"

    job_id: Mapped[str] = mapped_column(String(36), ForeignKey("import_jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # 0, 1, 2 … in file order: chunks are position ranges
    payload_enc: Mapped[str | None] = mapped_column(Text)  # {values, body, errors}; dropped when done
    outcome: Mapped[str | None] = mapped_column(String(20))  # registered, already_registered, failed
    reasons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)  # [{field, reason, message, message_zh}]
