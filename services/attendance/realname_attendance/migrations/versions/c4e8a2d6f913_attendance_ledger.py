"""the attendance ledger (R28): its days and months, the days to compute again, corrections; an admission's team

Revision ID: c4e8a2d6f913
Revises: c4e7a91d2b58
Create Date: 2026-12-05 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = 'c4e8a2d6f913'
down_revision: str | None = 'c4e7a91d2b58'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ledger_dirty_days: made by the punch intake's migration (c4e7a91d2b58), which marks the days.
    op.create_table(
        'ledger_days',
        sa.Column('project_id', sa.String(length=36), nullable=False),
        sa.Column('worker_id', sa.String(length=36), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('employer_id', sa.String(length=36), nullable=True),
        sa.Column('team_id', sa.String(length=36), nullable=True),
        sa.Column('offset_minutes', sa.Integer(), nullable=False),
        sa.Column('ends_at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.Column('first_in', realname_kit.types.UtcDateTime(), nullable=True),
        sa.Column('last_out', realname_kit.types.UtcDateTime(), nullable=True),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('punches', sa.Integer(), nullable=False),
        sa.Column('anomaly', sa.String(length=20), nullable=True),
        sa.Column('corrected', sa.Boolean(), nullable=False),
        sa.Column('corrected_late', sa.Boolean(), nullable=False),
        sa.Column('closed_at', realname_kit.types.UtcDateTime(), nullable=True),
        sa.Column('computed_at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('project_id', 'worker_id', 'day'),
    )
    op.create_index('ix_ledger_days_project_day', 'ledger_days', ['project_id', 'day', 'worker_id'])
    op.create_index('ix_ledger_days_open', 'ledger_days', ['closed_at', 'ends_at'])
    op.create_table(
        'ledger_months',
        sa.Column('project_id', sa.String(length=36), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('worker_id', sa.String(length=36), nullable=False),
        sa.Column('employer_id', sa.String(length=36), nullable=True),
        sa.Column('team_id', sa.String(length=36), nullable=True),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('anomalies', sa.Integer(), nullable=False),
        sa.Column('corrected_days', sa.Integer(), nullable=False),
        sa.Column('updated_at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('project_id', 'month', 'worker_id'),
    )
    op.create_table(
        'ledger_corrections',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.String(length=36), nullable=False),
        sa.Column('worker_id', sa.String(length=36), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.Column('direction', sa.String(length=3), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('evidence_reference', sa.String(length=500), nullable=True),
        sa.Column('evidence_enc', sa.Text(), nullable=True),
        sa.Column('evidence_name', sa.String(length=200), nullable=True),
        sa.Column('evidence_type', sa.String(length=50), nullable=True),
        sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
        sa.Column('evidence_bytes', sa.Integer(), nullable=True),
        sa.Column('recorded_at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.Column('recorded_by', sa.String(length=100), nullable=False),
        sa.Column('recorded_for', sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_ledger_corrections_day', 'ledger_corrections', ['project_id', 'worker_id', 'day'])
    with op.batch_alter_table('admissions') as batch:
        batch.add_column(sa.Column('team_id', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('admissions') as batch:
        batch.drop_column('team_id')
    op.drop_index('ix_ledger_corrections_day', table_name='ledger_corrections')
    op.drop_table('ledger_corrections')
    op.drop_table('ledger_months')
    op.drop_index('ix_ledger_days_open', table_name='ledger_days')
    op.drop_index('ix_ledger_days_project_day', table_name='ledger_days')
    op.drop_table('ledger_days')
