"""reconciliations.revoke_keys (keys found on a gate that name no worker), gate_clock_requests (set_time due)

Revision ID: 3b7e51c0a9d2
Revises: 5c1f0e9a7d22
Create Date: 2026-12-05 14:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = '3b7e51c0a9d2'
down_revision: str | None = '5c1f0e9a7d22'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('reconciliations', sa.Column('revoke_keys', sa.JSON(), nullable=True))
    op.create_table('gate_clock_requests',
    sa.Column('gate_id', sa.String(length=36), nullable=False),
    sa.Column('asked_at', realname_kit.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('offset_s', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['gate_id'], ['gates.id'], ),
    sa.PrimaryKeyConstraint('gate_id')
    )


def downgrade() -> None:
    op.drop_table('gate_clock_requests')
    op.drop_column('reconciliations', 'revoke_keys')
