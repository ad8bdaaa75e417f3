"""the sealing key of each reader account, under the data keyring

Revision ID: c4d2a7e91f05
Revises: b3e1f0c9d2a4
Create Date: 2026-12-05 11:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c4d2a7e91f05'
down_revision: str | None = 'b3e1f0c9d2a4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('reader_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seal_key_enc', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reader_accounts', schema=None) as batch_op:
        batch_op.drop_column('seal_key_enc')
