"""deceased workers, and the cause an employment ended

Revision ID: 422f3a46b89b
Revises: 6f71fb048287
Create Date: 2026-12-04 15:09:59.759908
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '422f3a46b89b'
down_revision: str | None = '6f71fb048287'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: a batch (copy-and-move) rebuild of `workers` on SQLite would
    # drop the FTS5 triggers the earlier revision made on it.
    op.add_column('workers', sa.Column('deceased_on', sa.Date(), nullable=True))
    op.add_column('employments', sa.Column('end_cause', sa.String(length=20), nullable=True))
    # Until now resignation was the only way an employment ended.
    op.execute("UPDATE employments SET end_cause = 'resignation' WHERE status = 'ended'")


def downgrade() -> None:
    op.drop_column('employments', 'end_cause')  # SQLite 3.35+ drops a column in place
    op.drop_column('workers', 'deceased_on')
