"""token denials: access tokens refused before they expire (realname_kit.denials)

Revision ID: a43a2ad927f7
Revises: c3d9a1e4b7f2
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

from realname_kit.bus.migration_ops import create_token_denials_v1, drop_token_denials_v1

revision: str = 'a43a2ad927f7'
down_revision: str | None = 'c3d9a1e4b7f2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_token_denials_v1()


def downgrade() -> None:
    drop_token_denials_v1()
