"""projects: registered by their general contractor, the root of contract chains (R21)

Revision ID: a7f655dc19dc
Revises: 43e7e360e500
Create Date: 2026-11-25 02:42:29.273619
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = 'a7f655dc19dc'
down_revision: str | None = '43e7e360e500'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'projects',
        sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('registration_number', sa.String(length=40), nullable=False),
        sa.Column('address', sa.String(length=500), nullable=False),
        sa.Column('planned_start', sa.Date(), nullable=False),
        sa.Column('planned_completion', sa.Date(), nullable=False),
        sa.Column('general_contractor_id', sa.String(length=36), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('registered_at', realname_kit.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['general_contractor_id'], ['parties.enterprise_id']),
        sa.PrimaryKeyConstraint('seq'),
        sa.UniqueConstraint('id'),
        sa.UniqueConstraint('registration_number'),
    )
    op.create_index('ix_projects_general_contractor_id', 'projects', ['general_contractor_id'])


def downgrade() -> None:
    op.drop_index('ix_projects_general_contractor_id', table_name='projects')
    op.drop_table('projects')
