"""Each service's own alembic migrations, run programmatically (the database is created if missing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text

from realname_kit.db import ensure_database, make_engine
from realname_kit.privacy.keyring import Keyring
from realname_kit.service import ServiceSpec

_LOCK_ID = 0x7265616C  # "real": one migrator at a time per database


def alembic_config(spec: ServiceSpec, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(spec.migrations))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["url"] = url
    cfg.attributes["metadata"] = spec.metadata
    return cfg


def upgrade(spec: ServiceSpec, url: str, revision: str = "head", *,
            keyring: Callable[[], Keyring] | None = None) -> None:
    """Migrate to ``revision``; ``keyring`` gives the data keyring to a migration that encrypts stored values."""
    ensure_database(url)
    cfg = alembic_config(spec, url)
    cfg.attributes["keyring"] = keyring
    command.upgrade(cfg, revision)


def migration_keyring() -> Keyring:
    """In a migration that encrypts (or decrypts) stored values: the keyring its caller gave ``upgrade``.

    Asked only when there are values to convert, so an empty database migrates without one.
    """
    provider = context.config.attributes.get("keyring")
    if provider is None:
        raise RuntimeError("this migration encrypts stored values and was given no data keyring: run it with "
                           "`realname migrate` or `realname-svc migrate <service>`")
    keyring: Keyring = provider()
    return keyring


def make_revision(spec: ServiceSpec, url: str, message: str) -> None:
    """Autogenerate a migration from the models (a developer's command)."""
    cfg = alembic_config(spec, url)
    command.upgrade(cfg, "head")
    command.revision(cfg, message=message, autogenerate=True)


def managed_objects(metadata: MetaData) -> Any:
    """An alembic ``include_object`` that leaves out tables the models do not describe on purpose.

    A service lists their name prefixes in ``metadata.info["unmanaged_table_prefixes"]`` (SQLite FTS5
    tables, which the migration makes with raw SQL and which bring shadow tables of their own).
    """
    prefixes = tuple(metadata.info.get("unmanaged_table_prefixes", ()))

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
        return not (prefixes and (table or "").startswith(prefixes))
    return include


def run_env() -> None:
    """The body of every service's ``migrations/env.py``."""
    cfg = context.config
    engine = make_engine(cfg.attributes["url"], pool_size=1)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _LOCK_ID})
                conn.commit()
            context.configure(connection=conn, target_metadata=cfg.attributes["metadata"],
                              render_as_batch=conn.dialect.name == "sqlite", compare_type=True,
                              include_object=managed_objects(cfg.attributes["metadata"]))
            with context.begin_transaction():
                context.run_migrations()
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
                conn.commit()
    finally:
        engine.dispose()
