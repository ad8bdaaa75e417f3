"""user names per tenant (accounts.login, accounts.bare_login); failed logins per login and address

Revision ID: b7c41e9a2d15
Revises: 2f38ee8c378d
Create Date: 2026-12-05 11:00:00.000000

Existing accounts keep logging in by their name alone (``bare_login``: names were unique platform-wide until
now); staff also log in as ``name@credit-code`` (``login``), the only form of staff accounts made from now on.
The per-account lock (``failed_logins``, ``locked_until``) gives way to ``login_failures``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realname_kit.types

revision: str = 'b7c41e9a2d15'
down_revision: str | None = '2f38ee8c378d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite keeps the first migration's UNIQUE (username) unnamed: batch mode names it by this convention to drop it.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _username_unique() -> str:
    return "accounts_username_key" if op.get_bind().dialect.name == "postgresql" else "uq_accounts_username"


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', realname_kit.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', realname_kit.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', realname_kit.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('login', 'source')
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('login', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('bare_login', sa.String(length=100), nullable=True))
    op.execute("UPDATE accounts SET login = username, bare_login = username")
    op.execute("UPDATE accounts SET login = username || '@' || (SELECT e.uscc FROM enterprises e "
               "WHERE e.enterprise_id = accounts.enterprise_id) "
               "WHERE kind = 'staff' AND enterprise_id IN (SELECT enterprise_id FROM enterprises)")
    with op.batch_alter_table('accounts', schema=None, naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.alter_column('login', existing_type=sa.String(length=120), nullable=False)
        batch_op.drop_constraint(_username_unique(), type_='unique')
        batch_op.create_unique_constraint('accounts_login_key', ['login'])
        batch_op.create_unique_constraint('accounts_bare_login_key', ['bare_login'])
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')


def downgrade() -> None:
    # Only while no two tenants share a user name: the old schema had one name space for all.
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', realname_kit.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_constraint('accounts_bare_login_key', type_='unique')
        batch_op.drop_constraint('accounts_login_key', type_='unique')
        batch_op.create_unique_constraint(_username_unique(), ['username'])
        batch_op.drop_column('bare_login')
        batch_op.drop_column('login')
    op.drop_table('login_failures')
