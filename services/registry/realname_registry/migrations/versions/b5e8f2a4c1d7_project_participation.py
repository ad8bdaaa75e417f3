"""who takes part in a project: its contracts as awarded and completed, and the project's completion

Revision ID: b5e8f2a4c1d7
Revises: 9c2d51e0a7b3
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = 'b5e8f2a4c1d7'
down_revision: str | None = 'b71e4c9a2f05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('project_contracts',
    sa.Column('contract_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('contractor_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('learned_at', realname_kit.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('contract_id')
    )
    with op.batch_alter_table('project_contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_contracts_contractor_id'), ['contractor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_contracts_project_id'), ['project_id'], unique=False)
    # A plain ADD COLUMN (nullable, no default): no table rebuild on SQLite.
    op.add_column('projects', sa.Column('completed_at', realname_kit.types.UtcDateTime(timezone=True),
                                        nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('completed_at')
    with op.batch_alter_table('project_contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_contracts_project_id'))
        batch_op.drop_index(batch_op.f('ix_project_contracts_contractor_id'))
    op.drop_table('project_contracts')
