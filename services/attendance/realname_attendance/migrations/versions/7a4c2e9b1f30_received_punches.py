"""received punches: every punch a gate sent, kept once per (gate, event key)

Revision ID: 7a4c2e9b1f30
Revises: 5e1f0c2a7d43
Create Date: 2026-12-05 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = '7a4c2e9b1f30'
down_revision: str | None = '5e1f0c2a7d43'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'received_punches',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('gate_id', sa.String(length=36), nullable=False),
        sa.Column('event_key', sa.String(length=200), nullable=False),
        sa.Column('worker_key', sa.String(length=32), nullable=False),
        sa.Column('at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.Column('offset_minutes', sa.Integer(), nullable=False),
        sa.Column('direction', sa.String(length=3), nullable=True),
        sa.Column('verified_by', sa.String(length=20), nullable=False),
        sa.Column('sender', sa.String(length=100), nullable=False),
        sa.Column('received_at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['gate_id'], ['gates.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('gate_id', 'event_key', name='uq_received_punches_gate_event'),
    )
    op.create_index('ix_received_punches_worker_key', 'received_punches', ['worker_key'])


def downgrade() -> None:
    op.drop_index('ix_received_punches_worker_key', table_name='received_punches')
    op.drop_table('received_punches')
