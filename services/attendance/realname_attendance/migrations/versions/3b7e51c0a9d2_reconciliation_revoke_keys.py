"""reconciliations.revoke_keys: keys found on a gate that name no worker, revoked by the reconciliation chore

Revision ID: 3b7e51c0a9d2
Revises: 256cc402102b
Create Date: 2026-12-05 14:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3b7e51c0a9d2'
down_revision: str | None = '256cc402102b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('reconciliations', sa.Column('revoke_keys', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('reconciliations', 'revoke_keys')
