"""the watch on a closed authority (one probe chain at a time)

Revision ID: b3e1f0c9d2a4
Revises: 79f87b3fa4f6
Create Date: 2026-12-05 07:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = 'b3e1f0c9d2a4'
down_revision: str | None = '79f87b3fa4f6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('authority_watch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('probe', sa.Integer(), nullable=False),
    sa.Column('probe_at', realname_kit.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_since', realname_kit.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('authority_watch')
