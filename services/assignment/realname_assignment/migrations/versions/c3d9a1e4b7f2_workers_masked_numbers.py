"""workers: the ID number and phone as the registry masks them (R4), for the entry decision (R19)

Workers learned before this revision get theirs with their next ``worker.updated``.

Revision ID: c3d9a1e4b7f2
Revises: 90b49c8836c5
Create Date: 2026-12-05 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c3d9a1e4b7f2'
down_revision: str | None = '90b49c8836c5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('workers', sa.Column('id_number_masked', sa.String(length=24), nullable=True))
    op.add_column('workers', sa.Column('phone_masked', sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workers') as batch:
        batch.drop_column('phone_masked')
        batch.drop_column('id_number_masked')
