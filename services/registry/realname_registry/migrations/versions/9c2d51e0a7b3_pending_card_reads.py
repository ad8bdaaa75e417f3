"""card reads pending with the authority, and rejected ones

Revision ID: 9c2d51e0a7b3
Revises: 422f3a46b89b
Create Date: 2026-12-05 07:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = '9c2d51e0a7b3'
down_revision: str | None = '422f3a46b89b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every read kept so far was a verified one. card_reads has no triggers: a batch rebuild on SQLite is safe.
    with op.batch_alter_table('card_reads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default=sa.text("'verified'"),
                                      nullable=False))
        batch_op.add_column(sa.Column('reason', sa.String(length=40), nullable=True))
        batch_op.alter_column('verified_at', existing_type=realname_kit.types.UtcDateTime(timezone=True),
                              nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM card_reads WHERE verified_at IS NULL")
    with op.batch_alter_table('card_reads', schema=None) as batch_op:
        batch_op.alter_column('verified_at', existing_type=realname_kit.types.UtcDateTime(timezone=True),
                              nullable=False)
        batch_op.drop_column('reason')
        batch_op.drop_column('status')
