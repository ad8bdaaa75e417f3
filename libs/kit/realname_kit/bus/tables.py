"""The outbox and inbox tables, added to each service's own metadata (and so to its migrations), with the token
deny-list every service learns from the bus (``realname_kit.denials``)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from realname_kit.denials import denial_table
from realname_kit.timeutil import utcnow
from realname_kit.types import UtcDateTime

_BIGINT = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements only INTEGER keys


def outbox_table(metadata: MetaData) -> Table:
    table = Table(
        "outbox", metadata,
        Column("seq", _BIGINT, primary_key=True, autoincrement=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("type", String(100), nullable=False),
        Column("version", Integer, nullable=False),
        Column("occurred_at", String(40), nullable=False),
        Column("source", String(40), nullable=False),
        Column("correlation_id", String(64)),
        Column("payload", Text, nullable=False),  # the whole envelope, as published
        Column("created_at", UtcDateTime(), nullable=False, default=utcnow),
        Column("published_at", UtcDateTime()),
    )
    # The relay only ever looks at what is still to publish: keep that index small.
    Index("ix_outbox_pending", table.c.seq, postgresql_where=text("published_at IS NULL"),
          sqlite_where=text("published_at IS NULL"))
    return table


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox", metadata,
        Column("queue", String(100), primary_key=True),
        Column("message_id", String(64), primary_key=True),
        Column("type", String(100), nullable=False),
        Column("handled_at", UtcDateTime(), nullable=False, default=utcnow),
    )


def messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    denial_table(metadata)
    return outbox_table(metadata), inbox_table(metadata)
