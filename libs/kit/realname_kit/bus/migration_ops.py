"""The outbox and inbox in every service's migrations, written once.

A service's first migration calls ``create_messaging_tables_v1()``; a later change to these tables
comes as a ``_v2`` beside it, so migrations already applied never change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from realname_kit.types import UtcDateTime

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PENDING = sa.text("published_at IS NULL")


def create_messaging_tables_v1() -> None:
    op.create_table(
        "inbox",
        sa.Column("queue", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("handled_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("queue", "message_id"),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", _SEQ, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["seq"], postgresql_where=_PENDING, sqlite_where=_PENDING)


def drop_messaging_tables_v1() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")


def create_token_denials_v1() -> None:
    """The deny-list of ``realname_kit.denials``, in every service."""
    op.create_table(
        "token_denials",
        sa.Column("claim", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("below_version", sa.Integer(), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("claim", "value"),
    )
    op.create_index("ix_token_denials_expires_at", "token_denials", ["expires_at"])


def drop_token_denials_v1() -> None:
    op.drop_index("ix_token_denials_expires_at", table_name="token_denials")
    op.drop_table("token_denials")
