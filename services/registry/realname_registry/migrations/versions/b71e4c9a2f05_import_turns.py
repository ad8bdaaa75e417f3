"""import jobs: when each last took a step, so that employers take turns on the import consumer

Revision ID: b71e4c9a2f05
Revises: 9c2d51e0a7b3
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = 'b71e4c9a2f05'
down_revision: str | None = 'b7e41c9d2f60'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('import_jobs', sa.Column('stepped_at', realname_kit.types.UtcDateTime(timezone=True),
                                           nullable=True))
    op.create_index(op.f('ix_import_jobs_status'), 'import_jobs', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_import_jobs_status'), table_name='import_jobs')
    op.drop_column('import_jobs', 'stepped_at')  # SQLite 3.35+ drops a column in place
