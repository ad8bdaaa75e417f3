"""Identity tables (SQLAlchemy 2.0 typed models): card reads, their photos apart, the readers' broker accounts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from realname_kit.bus.outbox import Outbox
from realname_kit.bus.tables import messaging_tables
from realname_kit.privacy import ProtectedField
from realname_kit.types import UtcDateTime


class Base(DeclarativeBase):
    pass


outbox, inbox = messaging_tables(Base.metadata)
OUTBOX = Outbox(outbox, "identity")

# The registry matches verified reads to workers by its own blind index: identity's stays its own (no linking).
ID_NUMBER = ProtectedField("identity.card_reads", "id_number", kind="id_number")
PHOTO_CONTEXT = "identity.card_photos.photo"
SEAL_KEY_CONTEXT = "identity.reader_accounts.seal_key"
_BIGINT = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only


class CardRead(Base):
    """One read of a resident ID card (R1), from an edge-reader or a browser, and how its verification ended."""

    __tablename__ = "card_reads"
    __table_args__ = (Index("ix_card_reads_due", "status", "next_attempt_at"),)

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)  # list order
    id: Mapped[str] = mapped_column(String(36), unique=True)  # the read id: the same on every re-send
    employer_id: Mapped[str] = mapped_column(String(36), index=True)
    source: Mapped[str] = mapped_column(String(16))  # edge | browser
    sender: Mapped[str] = mapped_column(String(120))  # the broker account or the login that sent it
    status: Mapped[str] = mapped_column(String(16))  # pending | verified | rejected
    reason: Mapped[str | None] = mapped_column(String(40))  # why rejected (R2)
    reason_detail: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(60))
    sex: Mapped[str] = mapped_column(String(6))
    ethnicity: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str] = mapped_column(String(200))
    issuing_authority: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # None: long-term (长期)
    card_serial: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_enc, id_number_bidx = ID_NUMBER.mapped_columns(nullable=False)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # questions put to the authority
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(40))  # why the authority has not answered yet


class CardPhoto(Base):
    """The card's photo, apart from the identity data and encrypted (the reader's WLT bytes, or a browser's image)."""

    __tablename__ = "card_photos"

    read_id: Mapped[str] = mapped_column(ForeignKey("card_reads.id", ondelete="CASCADE"), primary_key=True)
    format: Mapped[str] = mapped_column(String(8))  # wlt | jpeg | png
    size: Mapped[int] = mapped_column(Integer)
    photo_enc: Mapped[str] = mapped_column(Text)


class ReaderAccount(Base):
    """The broker account of an employer's edge-readers: it may publish card reads to the edge exchange only."""

    __tablename__ = "reader_accounts"

    username: Mapped[str] = mapped_column(String(120), primary_key=True)
    employer_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The key its reader seals cards with (``realname_codes.card_seal``), under the data keyring; None: an
    # account opened before reads were sealed, whose plain reads a transition window may still accept.
    seal_key_enc: Mapped[str | None] = mapped_column(Text)


class AuthorityWatch(Base):
    """One row: whether the authority is being watched for an early return from a closure (R3, ``probing``)."""

    __tablename__ = "authority_watch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    probe: Mapped[int] = mapped_column(Integer, default=0)  # the current probe's number: others are stale
    probe_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # None: no probe chain runs
    closed_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
