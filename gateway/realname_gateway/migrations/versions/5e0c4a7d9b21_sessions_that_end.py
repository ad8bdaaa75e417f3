"""sessions that end: token denials, grant versions, certificates kept to check again

Revision ID: 5e0c4a7d9b21
Revises: b7c41e9a2d15
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types
from realname_kit.bus.migration_ops import create_token_denials_v1, drop_token_denials_v1

revision: str = '5e0c4a7d9b21'
down_revision: str | None = 'b7c41e9a2d15'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_token_denials_v1()
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('grant_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('certificates') as batch:
        batch.add_column(sa.Column('pem', sa.Text(), nullable=True))
        batch.add_column(sa.Column('revoked_at', realname_kit.types.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('certificates') as batch:
        batch.drop_column('revoked_at')
        batch.drop_column('pem')
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('grant_version')
    drop_token_denials_v1()
