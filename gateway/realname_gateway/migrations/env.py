"""Alembic environment of this service: the kit runs it (URL and metadata come from the caller)."""

from realname_kit.migrate import run_env

run_env()
