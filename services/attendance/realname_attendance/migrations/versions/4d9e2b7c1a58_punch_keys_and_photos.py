"""devices' HTTPS punch signing keys (sealed); punch_photos (sealed, kept a configurable number of days)

Revision ID: 4d9e2b7c1a58
Revises: c4e8a2d6f913
Create Date: 2026-12-05 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = '4d9e2b7c1a58'
down_revision: str | None = 'c4e8a2d6f913'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('gates', sa.Column('punch_key_enc', sa.Text(), nullable=True))
    op.add_column('bridges', sa.Column('punch_key_enc', sa.Text(), nullable=True))
    op.create_table(
        'punch_photos',
        sa.Column('device', sa.String(length=64), nullable=False),
        sa.Column('event_key', sa.String(length=200), nullable=False),
        sa.Column('at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.Column('gate_id', sa.String(length=36), nullable=True),
        sa.Column('photo_enc', sa.Text(), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('kept_at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('device', 'event_key', 'at'),
    )
    op.create_index('ix_punch_photos_gate_id', 'punch_photos', ['gate_id'])
    op.create_index('ix_punch_photos_kept_at', 'punch_photos', ['kept_at'])


def downgrade() -> None:
    op.drop_index('ix_punch_photos_kept_at', table_name='punch_photos')
    op.drop_index('ix_punch_photos_gate_id', table_name='punch_photos')
    op.drop_table('punch_photos')
    with op.batch_alter_table('bridges') as batch:
        batch.drop_column('punch_key_enc')
    with op.batch_alter_table('gates') as batch:
        batch.drop_column('punch_key_enc')
