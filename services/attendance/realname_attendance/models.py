"""Attendance tables (SQLAlchemy 2.0 typed models).

What the service learned from other services' events (projects, their contract chains, workers, admissions) is
kept in its own tables: it never reads another service's. Face photos sit in a table of their own, encrypted.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from realname_kit.bus.outbox import Outbox
from realname_kit.bus.tables import messaging_tables
from realname_kit.idempotency import idempotency_table
from realname_kit.timeutil import utcnow
from realname_kit.types import UtcDateTime

_BIGINT = BigInteger().with_variant(Integer(), "sqlite")


def _uuid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


# The monthly partitions of ``punches`` (punch_partitions) are made by the migration and a chore, not the models.
Base.metadata.info["unmanaged_table_prefixes"] = ("punches_",)


outbox, inbox = messaging_tables(Base.metadata)
OUTBOX = Outbox(outbox, "attendance")
IDEMPOTENCY = idempotency_table(Base.metadata)  # Idempotency-Key of writes (R33)


# --- learned from events -------------------------------------------------------------------------------------


class Project(Base):
    """A project, from ``project.registered``; its general contractor registers its gates."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    general_contractor_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ProjectContract(Base):
    """A contract of a project's chain (``contract.awarded``/``completed``): who takes part (R21)."""

    __tablename__ = "project_contracts"

    contract_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    contractor_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(20))  # active | completed


class Worker(Base):
    """A worker as the gates need them: the key they are known by on every gate, the name they show, the employer.

    ``key``: the device's employeeNo / PIN, decimal digits, allocated here once per worker and never reused.
    """

    __tablename__ = "workers"

    key: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    worker_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    employer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    contract_end: Mapped[date | None] = mapped_column(Date())
    version: Mapped[int] = mapped_column(Integer, default=0)  # the registry's worker version last applied
    deceased_on: Mapped[date | None] = mapped_column(Date())
    # The employment last heard of, and when it began: an event about an older one changes nothing (faces part).
    employment_id: Mapped[str | None] = mapped_column(String(36))
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_exit_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # for the face's retention


class Admission(Base):
    """An accepted assignment (``assignment.accepted``): the worker may pass the project's gates (R23) from
    ``entry_at`` until ``exited_at`` (``assignment.exited``, R26)."""

    __tablename__ = "admissions"
    __table_args__ = (Index("ix_admissions_project_status", "project_id", "status"),)

    assignment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36), index=True)
    employer_id: Mapped[str] = mapped_column(String(36))
    contract_id: Mapped[str | None] = mapped_column(String(36))
    team_id: Mapped[str | None] = mapped_column(String(36))  # as accepted: the ledger's team (R16, R28)
    status: Mapped[str] = mapped_column(String(20))  # accepted | exited
    entry_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    exited_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    exit_cause: Mapped[str | None] = mapped_column(String(40))


# --- devices -------------------------------------------------------------------------------------------------


class Bridge(Base):
    """A site bridge: the program on a site's LAN that drives its vendor gates, with a broker account of its own."""

    __tablename__ = "bridges"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(200), default="")
    account: Mapped[str | None] = mapped_column(String(100), unique=True)  # None once revoked
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    credentials_issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    punch_key_enc: Mapped[str | None] = mapped_column(Text)  # sealed; None once revoked (``punch_keys``)
    last_contact_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class Gate(Base):
    """A face-recognition gate of a project: ``native`` (its own broker account) or a vendor kind behind a bridge."""

    __tablename__ = "gates"
    __table_args__ = (UniqueConstraint("kind", "serial", name="uq_gates_kind_serial"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # native | hikvision-isapi | zkteco-push
    serial: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(10))  # in | out | both
    name: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(200), default="")
    bridge_id: Mapped[str | None] = mapped_column(ForeignKey("bridges.id"), index=True)
    account: Mapped[str | None] = mapped_column(String(100), unique=True)  # native gates only; None once revoked
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    credentials_issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    punch_key_enc: Mapped[str | None] = mapped_column(Text)  # sealed; None once revoked (``punch_keys``)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Health, from the gate's (or its bridge's) reports.
    last_contact_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reported_online: Mapped[bool | None] = mapped_column(Boolean)
    model: Mapped[str | None] = mapped_column(String(100))
    firmware: Mapped[str | None] = mapped_column(String(100))
    people: Mapped[int | None] = mapped_column(Integer)
    faces: Mapped[int | None] = mapped_column(Integer)
    people_capacity: Mapped[int | None] = mapped_column(Integer)
    faces_capacity: Mapped[int | None] = mapped_column(Integer)
    clock_offset_s: Mapped[float | None] = mapped_column(Float)
    problem: Mapped[str | None] = mapped_column(String(60))
    online_since: Mapped[datetime | None] = mapped_column(UtcDateTime())  # when it came back: resend what changed


class DeviceSighting(Base):
    """A device that contacted a bridge without being registered behind it: refused there, reported here."""

    __tablename__ = "device_sightings"

    bridge_id: Mapped[str] = mapped_column(ForeignKey("bridges.id"), primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    times: Mapped[int] = mapped_column(Integer, default=1)


# --- face photos (PIPL art. 28-29: biometric, sensitive) -----------------------------------------------------


class FaceConsent(Base):
    """The worker's separate consent to the processing of their face (PIPL art. 29): who recorded it, when, how."""

    __tablename__ = "face_consents"

    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    method: Mapped[str] = mapped_column(String(30))  # how it was given (signed form, electronic, …)
    note: Mapped[str] = mapped_column(String(500), default="")
    given_on: Mapped[date] = mapped_column(Date())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_for: Mapped[str] = mapped_column(String(36))  # the enterprise the recorder acted for
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


FACE_PHOTO_CONTEXT = "attendance.faces.photo"  # a ProtectedTable("faces", ("photo",), "attendance.faces"): rekeyed
# The HTTPS punch signing keys of devices (``punch_keys``): ProtectedTable("gates"/"bridges", ("punch_key",), …).
GATE_PUNCH_KEY_CONTEXT, BRIDGE_PUNCH_KEY_CONTEXT = "attendance.gates.punch_key", "attendance.bridges.punch_key"


class Face(Base):
    """A worker's face photo: normalised JPEG, sealed (``realname_kit.privacy.blobs``), stored apart.

    ``photo_enc``: a protected value like the personal numbers', so a key rotation re-seals it (``rekey_service``).
    """

    __tablename__ = "faces"

    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    photo_enc: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    measures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # brightness, sharpness, face share
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)


# --- the whitelist: what each gate should hold, and what it reported -----------------------------------------


class GatePerson(Base):
    """One (gate, worker) pair: the wanted state and the gate's, moved ``pending → sent → synced`` or ``failed``."""

    __tablename__ = "gate_people"
    __table_args__ = (Index("ix_gate_people_gate_state", "gate_id", "state"),)

    gate_id: Mapped[str] = mapped_column(ForeignKey("gates.id"), primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    wanted: Mapped[str] = mapped_column(String(3))  # on | off
    state: Mapped[str] = mapped_column(String(10))  # pending | sent | synced | failed
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    command_id: Mapped[str | None] = mapped_column(String(36))
    face_sha256: Mapped[str | None] = mapped_column(String(64))  # of the face last sent
    reason: Mapped[str | None] = mapped_column(String(40))
    photo_problem: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Reconciliation(Base):
    """One comparison of a gate's own list with what the platform wants, and the drift repaired, counted."""

    __tablename__ = "reconciliations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    gate_id: Mapped[str] = mapped_column(ForeignKey("gates.id"), index=True)
    command_id: Mapped[str] = mapped_column(String(36), unique=True)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    missing: Mapped[int | None] = mapped_column(Integer)  # wanted on, not on the gate: enrolled again
    extra: Mapped[int | None] = mapped_column(Integer)  # on the gate, not wanted: revoked
    stale_faces: Mapped[int | None] = mapped_column(Integer)  # on the gate with another face: enrolled again
    # Keys on the gate that name no worker of ours: revoked by the reconciliation chore, then emptied.
    revoke_keys: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))


class GateClockRequest(Base):
    """A gate whose clock is off (``device.clock_off``), waiting for the reconciliation chore to send it the time."""

    __tablename__ = "gate_clock_requests"

    gate_id: Mapped[str] = mapped_column(ForeignKey("gates.id"), primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    offset_s: Mapped[float | None] = mapped_column(Float)


# --- punches and the attendance ledger (R27, R28) ---------------------------------------------------------------


class Punch(Base):
    """Every punch a gate sent, kept once and judged (R27): ``valid``, or rejected with its ``reason``. Its identity
    is the device's own: the serial, the device's event key (ISAPI serialNo, ZKTeco SN:PIN:time) and the time, so a
    punch sent twice, or a ZKTeco batch sent 220 times, is one row. On PostgreSQL the table is partitioned by month
    on ``at`` (``punch_partitions``), which is why ``at`` is part of the key."""

    __tablename__ = "punches"
    __table_args__ = (
        Index("ix_punches_project_day", "project_id", "day"),
        Index("ix_punches_worker_day", "worker_id", "day"),
        {"postgresql_partition_by": "RANGE (at)"},
    )

    device: Mapped[str] = mapped_column(String(64), primary_key=True)  # the serial as sent, known or not
    event_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the local day at the gate's own UTC offset
    offset_minutes: Mapped[int] = mapped_column(Integer)
    gate_id: Mapped[str | None] = mapped_column(String(36))  # None: unknown_device
    project_id: Mapped[str | None] = mapped_column(String(36))
    worker_key: Mapped[str] = mapped_column(String(32))
    worker_id: Mapped[str | None] = mapped_column(String(36))  # None: unknown_worker
    direction: Mapped[str | None] = mapped_column(String(3))  # in | out (the punch's, else the gate's); None: both
    verified_by: Mapped[str] = mapped_column(String(20))
    valid: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(30))  # why not valid (R27): not_admitted, exited, ...
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # received on a later local day than its own
    has_photo: Mapped[bool] = mapped_column(Boolean, default=False)
    sender: Mapped[str] = mapped_column(String(100))  # the broker account (or HTTPS credential) it came from
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class LedgerDirtyDay(Base):
    """A (worker, project, day) whose ledger must be computed again: marked in the transaction that stores its valid
    punches (the intake) or a correction, with an upsert that holds the row until that transaction ends; taken by
    the ledger chore with ``FOR UPDATE SKIP LOCKED`` and removed only if not marked again since (``ledger.dirty``)."""

    __tablename__ = "ledger_dirty_days"

    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class LedgerDay(Base):
    """One worker's day on one project in the attendance ledger (R28), computed from the valid punches and the
    corrections in force (``rules.ledger_day``). ``closed_at``: told to the wage ledger (``attendance.day_closed``);
    ``corrected_late``: it changed after that, and was told again with the next ``version``."""

    __tablename__ = "ledger_days"
    __table_args__ = (
        # The month's ledger of a project, and its day lists: the project's rows of a date range, read from the index.
        Index("ix_ledger_days_project_day", "project_id", "day", "worker_id"),
        Index("ix_ledger_days_open", "closed_at", "ends_at"),  # the days the chore closes
    )

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    employer_id: Mapped[str | None] = mapped_column(String(36))
    team_id: Mapped[str | None] = mapped_column(String(36))
    offset_minutes: Mapped[int] = mapped_column(Integer)  # the gates' UTC offset: when the local day ends
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_in: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_out: Mapped[datetime | None] = mapped_column(UtcDateTime())
    minutes: Mapped[int] = mapped_column(Integer)
    punches: Mapped[int] = mapped_column(Integer)  # the gates' valid punches, corrections not counted
    anomaly: Mapped[str | None] = mapped_column(String(20))  # missing_in | missing_out | missing_in_and_out
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    corrected_late: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


LEDGER_EVIDENCE_CONTEXT = "attendance.ledger_corrections.evidence"  # ProtectedTable("ledger_corrections", …)


class LedgerCorrection(Base):
    """A correction (补卡) the general contractor made to a worker's day, with its reason and evidence: a passage the
    gates did not record. Never an edit: the gates' punches stay as they were, the day shows both."""

    __tablename__ = "ledger_corrections"
    __table_args__ = (Index("ix_ledger_corrections_day", "project_id", "worker_id", "day"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    project_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # missing_in | missing_out | other
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    reason: Mapped[str] = mapped_column(Text)
    evidence_reference: Mapped[str | None] = mapped_column(String(500))  # where the paper evidence is kept
    evidence_enc: Mapped[str | None] = mapped_column(Text)  # an uploaded file, sealed
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_type: Mapped[str | None] = mapped_column(String(50))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_bytes: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_for: Mapped[str] = mapped_column(String(36))  # the enterprise the recorder acted for


class LedgerMonth(Base):
    """One worker's month on one project (R28), kept by the ledger chore from ``ledger_days`` whenever one of its days
    changes: the month's ledger of a project is then one range of this key (5,000 workers: 5,000 rows), not a month
    of days summed on each read."""

    __tablename__ = "ledger_months"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employer_id: Mapped[str | None] = mapped_column(String(36))
    team_id: Mapped[str | None] = mapped_column(String(36))
    days: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    anomalies: Mapped[int] = mapped_column(Integer)  # days flagged
    corrected_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
PUNCH_PHOTO_CONTEXT = "attendance.punch_photos.photo"  # ProtectedTable("punch_photos", ("photo",), …): rekeyed


class PunchPhoto(Base):
    """The photo a gate took with a punch, kept apart from it, sealed, for PUNCH_PHOTO_RETENTION_DAYS (biometric:
    PIPL art. 28-29, 47). Keyed as the punch is (device, its event key, its time); never in a log or an event."""

    __tablename__ = "punch_photos"

    device: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    gate_id: Mapped[str | None] = mapped_column(String(36), index=True)  # whose managers may see it
    photo_enc: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer)
    kept_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
