"""initial tables

Revision ID: 70cd5b828e8c
Revises: 
Create Date: 2026-11-25 00:28:27.500647
"""

from collections.abc import Sequence

from realname_kit.bus.migration_ops import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = '70cd5b828e8c'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables_v1()


def downgrade() -> None:
    drop_messaging_tables_v1()
