"""evidence files encrypted at rest: the plaintext column replaced by its ciphertext

Revision ID: b7e41c9d2f60
Revises: 9c2d51e0a7b3
Create Date: 2026-12-05 11:20:00.000000
"""

import base64
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from realname_kit.migrate import migration_keyring

revision: str = 'b7e41c9d2f60'
down_revision: str | None = '9c2d51e0a7b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As the model's EVIDENCE_CONTENT_CONTEXT and realname_kit.privacy.blobs write them (fixed here: a migration
# must keep meaning what it meant when it was written).
CONTEXT = "registry.evidence_files.content"
_files = sa.table('evidence_files', sa.column('id', sa.String), sa.column('content', sa.LargeBinary),
                  sa.column('content_enc', sa.Text))


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: employments refer to evidence_files, so a batch (copy-and-move)
    # rebuild on SQLite would trip their foreign keys. Hence content_enc stays nullable.
    op.add_column('evidence_files', sa.Column('content_enc', sa.Text(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(_files.c.id, _files.c.content)).all()
    if rows:  # files uploaded before: encrypted now, with the keyring `realname migrate` gives
        keyring = migration_keyring()
        for file_id, content in rows:
            sealed = keyring.encrypt(base64.b64encode(bytes(content)).decode("ascii"), context=CONTEXT)
            bind.execute(sa.update(_files).where(_files.c.id == file_id).values(content_enc=sealed))
    op.drop_column('evidence_files', 'content')  # SQLite 3.35+ drops a column in place


def downgrade() -> None:
    op.add_column('evidence_files', sa.Column('content', sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(_files.c.id, _files.c.content_enc).where(_files.c.content_enc.is_not(None))).all()
    if rows:
        keyring = migration_keyring()
        for file_id, sealed in rows:
            content = base64.b64decode(keyring.decrypt(sealed, context=CONTEXT))
            bind.execute(sa.update(_files).where(_files.c.id == file_id).values(content=content))
    op.drop_column('evidence_files', 'content_enc')
