"""punches: every punch kept once and judged (R27), partitioned by month on PostgreSQL

Revision ID: 8b2d4f6a1c35
Revises: 7a4c2e9b1f30
Create Date: 2026-12-05 17:30:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import realname_kit.types
from realname_attendance.punch_partitions import ensure_partitions

revision: str = '8b2d4f6a1c35'
down_revision: str | None = '7a4c2e9b1f30'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'punches',
        sa.Column('device', sa.String(length=64), nullable=False),
        sa.Column('event_key', sa.String(length=200), nullable=False),
        sa.Column('at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('offset_minutes', sa.Integer(), nullable=False),
        sa.Column('gate_id', sa.String(length=36), nullable=True),
        sa.Column('project_id', sa.String(length=36), nullable=True),
        sa.Column('worker_key', sa.String(length=32), nullable=False),
        sa.Column('worker_id', sa.String(length=36), nullable=True),
        sa.Column('direction', sa.String(length=3), nullable=True),
        sa.Column('verified_by', sa.String(length=20), nullable=False),
        sa.Column('valid', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.String(length=30), nullable=True),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('has_photo', sa.Boolean(), nullable=False),
        sa.Column('sender', sa.String(length=100), nullable=False),
        sa.Column('received_at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('device', 'event_key', 'at'),
        postgresql_partition_by='RANGE (at)',
    )
    op.create_index('ix_punches_project_day', 'punches', ['project_id', 'day'])
    op.create_index('ix_punches_worker_day', 'punches', ['worker_id', 'day'])
    today = datetime.now(UTC).date()
    # Three years back (a gate's cache, records carried over) and three months ahead; the chore keeps ahead.
    ensure_partitions(op.get_bind(), date(today.year - 3, 1, 1), today + timedelta(days=92))


def downgrade() -> None:
    op.drop_index('ix_punches_worker_day', table_name='punches')
    op.drop_index('ix_punches_project_day', table_name='punches')
    op.drop_table('punches')
