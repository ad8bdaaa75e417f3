"""Each service's migrations build exactly the tables its models describe, on PostgreSQL and SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from realname_kit.db import Database
from realname_kit.migrate import managed_objects, upgrade
from realname_kit.service import load_spec
from realname_kit.settings import SERVICES, Settings
from tests.support.stack import Stack


def differences(url: str, service: str) -> list[object]:
    spec = load_spec(service)
    upgrade(spec, url)
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": managed_objects(spec.metadata)})
            return list(compare_metadata(context, spec.metadata))
    finally:
        db.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_on_postgresql(stack: Stack, service: str) -> None:
    assert differences(stack.settings.database_url_for(service), service) == []


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_on_sqlite(tmp_path: Path, service: str) -> None:
    url = Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path)}).database_url_for(service)
    assert differences(url, service) == []


def test_migrating_twice_changes_nothing(stack: Stack) -> None:
    stack.migrate("registry")
    stack.migrate("registry")
    assert stack.count("registry", "SELECT count(*) FROM alembic_version") == 1
