"""idempotency keys: a retried registration of a gate or bridge changes nothing twice (realname_kit.idempotency)

Revision ID: 5e1f0c2a7d43
Revises: 3b7e51c0a9d2
Create Date: 2026-12-05 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = '5e1f0c2a7d43'
down_revision: str | None = '3b7e51c0a9d2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', realname_kit.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('subject', 'key')
    )
    op.create_index(op.f('ix_idempotency_keys_created_at'), 'idempotency_keys', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_idempotency_keys_created_at'), table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
