"""Settings: every value comes from a documented ``REALNAME_*`` variable or its documented default."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import get_type_hints

import pytest

from realname_edge.config import VARIABLES as EDGE_READER_SETTINGS
from realname_kit.settings import SERVICE_PORTS, SERVICES, SETTINGS, Settings, setting_names

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("libs", "services", "gateway", "deploy/launcher")
NAME = re.compile(r"REALNAME_[A-Z_]+")
FIELD_TYPES = get_type_hints(Settings)
SCALAR_FIELDS = [f.name for f in fields(Settings) if f.name != "env"]


def _names_in_source() -> list[str]:
    found: set[str] = set()
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            if ".venv" in path.parts or "tests" in path.parts:
                continue
            found |= {m.rstrip("_") for m in NAME.findall(path.read_text(encoding="utf-8"))}
    return sorted(found)


FILES_UNDER_THE_DATA_DIR = {
    "auth_public_key_file": "keys/token-signing.pub.pem",
    "auth_private_key_file": "keys/token-signing.pem",
    "ca_bundle_file": "dev-ca/ca.pem",
    "crl_file": "dev-ca/crl.pem",
    "data_keys_file": "keys/data-keys.json",
}


def _env_name(field: str) -> str:
    return f"REALNAME_{field.upper()}"


def _default_of(env: str) -> str:
    return next(s.default for s in SETTINGS if s.env == env)


@pytest.mark.parametrize("field", SCALAR_FIELDS)
def test_every_settings_field_is_documented_under_its_own_variable(field: str) -> None:
    assert _env_name(field) in {s.env for s in SETTINGS}


@pytest.mark.parametrize("field", SCALAR_FIELDS)
def test_every_settings_field_takes_its_documented_default_when_the_environment_is_empty(field: str) -> None:
    settings = Settings.from_env({})
    default = _default_of(_env_name(field))
    value = getattr(settings, field)
    if field in FILES_UNDER_THE_DATA_DIR:
        assert default == ""
        assert value == Path(_default_of("REALNAME_DATA_DIR")) / FILES_UNDER_THE_DATA_DIR[field]
        return
    expected_type = FIELD_TYPES[field]
    assert isinstance(value, expected_type)
    expected: object = expected_type(default)
    if field == "log_level":
        expected = default.upper()
    assert value == expected


@pytest.mark.parametrize("field", SCALAR_FIELDS)
def test_every_settings_field_follows_its_variable(field: str, tmp_path: Path) -> None:
    expected_type = FIELD_TYPES[field]
    raw = {int: "7", float: "2.5", Path: str(tmp_path / "somewhere"), str: "CHOSEN"}[expected_type]
    settings = Settings.from_env({_env_name(field): raw})
    assert getattr(settings, field) == expected_type(raw)


def test_the_environment_itself_is_kept_and_not_read_from_the_process_when_given() -> None:
    settings = Settings.from_env({"REALNAME_BUS_PREFIX": "t1."})
    assert dict(settings.env) == {"REALNAME_BUS_PREFIX": "t1."}


def test_an_unknown_override_is_refused() -> None:
    with pytest.raises(TypeError, match="no_such_setting"):
        Settings.from_env({}, no_such_setting=1)


def test_an_override_wins_over_the_environment() -> None:
    assert Settings.from_env({"REALNAME_RELAY_BATCH": "10"}, relay_batch=3).relay_batch == 3


def test_without_a_database_url_each_service_gets_a_sqlite_file_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path)})
    for service in SERVICES:
        assert settings.database_url_for(service) == f"sqlite:///{tmp_path.resolve() / f'{service}.db'}"


@pytest.mark.parametrize("server", [
    "postgresql+psycopg://app:secret@db.example:5432/",
    "postgresql+psycopg://app:secret@db.example:5432",
    "postgresql+psycopg://app:secret@db.example:5432/postgres",
])
def test_on_a_postgresql_server_each_service_gets_its_prefixed_database(server: str) -> None:
    settings = Settings.from_env({"REALNAME_DATABASE_URL": server})
    assert settings.database_url_for("registry") == "postgresql+psycopg://app:secret@db.example:5432/realname_registry"


def test_the_database_prefix_is_used_for_the_database_name() -> None:
    settings = Settings.from_env({"REALNAME_DATABASE_URL": "postgresql+psycopg://db/",
                                  "REALNAME_DATABASE_PREFIX": "t1_"})
    assert settings.database_url_for("identity") == "postgresql+psycopg://db/t1_identity"


def test_the_query_string_of_the_server_url_is_kept() -> None:
    settings = Settings.from_env({"REALNAME_DATABASE_URL": "postgresql+psycopg://app@db:5432/?sslmode=require"})
    assert settings.database_url_for("attendance") == "postgresql+psycopg://app@db:5432/realname_attendance?sslmode=require"


def test_a_service_database_url_overrides_the_server_for_that_service_only() -> None:
    own = "postgresql+psycopg://elsewhere:5433/registry_db"
    settings = Settings.from_env({"REALNAME_DATABASE_URL": "postgresql+psycopg://db/",
                                  "REALNAME_REGISTRY_DATABASE_URL": own})
    assert settings.database_url_for("registry") == own
    assert settings.database_url_for("identity") == "postgresql+psycopg://db/realname_identity"


def test_a_service_database_url_overrides_the_sqlite_default_too(tmp_path: Path) -> None:
    settings = Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path),
                                  "REALNAME_REPORTING_DATABASE_URL": "sqlite:///elsewhere.db"})
    assert settings.database_url_for("reporting") == "sqlite:///elsewhere.db"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_url_defaults_to_its_local_port(service: str) -> None:
    assert Settings.from_env({}).service_url(service) == f"http://127.0.0.1:{SERVICE_PORTS[service]}"


def test_a_service_url_variable_overrides_the_default_for_that_service_only() -> None:
    settings = Settings.from_env({"REALNAME_REGISTRY_URL": "http://registry.internal:80"})
    assert settings.service_url("registry") == "http://registry.internal:80"
    assert settings.service_url("identity") == "http://127.0.0.1:8101"


def test_without_a_broker_url_the_platform_runs_all_in_one_on_the_in_process_bus() -> None:
    settings = Settings.from_env({})
    assert not settings.distributed
    assert settings.bus_url == "memory://"


def test_with_a_broker_url_the_platform_is_distributed_on_that_broker() -> None:
    url = "amqp://guest:guest@127.0.0.1:5672/%2F"
    settings = Settings.from_env({"REALNAME_AMQP_URL": url})
    assert settings.distributed
    assert settings.bus_url == url


def test_the_source_reads_some_realname_variables_at_all() -> None:
    assert "REALNAME_AMQP_URL" in _names_in_source()


@pytest.mark.parametrize("name", _names_in_source())
def test_every_realname_variable_in_the_source_is_documented(name: str) -> None:
    # The identity service tells reader PCs what to set: the edge-reader documents those itself.
    assert name in setting_names() | {v.env for v in EDGE_READER_SETTINGS}


def test_a_service_documenting_its_own_consumer_prefetch_gets_it_and_the_others_get_the_platforms() -> None:
    settings = Settings.from_env({"REALNAME_CONSUMER_PREFETCH": "150"})
    assert settings.consumer_prefetch_for("attendance") == 1000  # punches in bursts: larger batches
    assert settings.consumer_prefetch_for("registry") == 150
    tuned = Settings.from_env({"REALNAME_ATTENDANCE_CONSUMER_PREFETCH": "400"})
    assert tuned.consumer_prefetch_for("attendance") == 400
