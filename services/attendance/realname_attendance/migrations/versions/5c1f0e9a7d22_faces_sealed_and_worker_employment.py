"""faces sealed as a protected value (rekeyed with the keyring); workers' current employment

Revision ID: 5c1f0e9a7d22
Revises: 256cc402102b
Create Date: 2026-12-05 14:05:00.000000

``faces.photo_sealed`` (bytes) becomes ``photo_enc`` (text, as ``realname_kit.privacy.blobs`` writes it), so that
``rekey_service`` re-seals faces after a key rotation like every other protected value. No face was stored before
this revision (nothing wrote the table), so the column is replaced, not converted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = '5c1f0e9a7d22'
down_revision: str | None = '256cc402102b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A batch (copy-and-move on SQLite, plain ALTERs on PostgreSQL): nothing refers to faces or workers by key.
    with op.batch_alter_table('faces') as batch:
        batch.drop_column('photo_sealed')
        batch.add_column(sa.Column('photo_enc', sa.Text(), nullable=False))
    with op.batch_alter_table('workers') as batch:
        batch.add_column(sa.Column('employment_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('registered_at', realname_kit.types.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workers') as batch:
        batch.drop_column('registered_at')
        batch.drop_column('employment_id')
    with op.batch_alter_table('faces') as batch:
        batch.drop_column('photo_enc')
        batch.add_column(sa.Column('photo_sealed', sa.LargeBinary(), nullable=False))
