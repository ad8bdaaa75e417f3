"""Evidence files uploaded before they were encrypted are encrypted by the migration, and rotate with the keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from realname_kit.db import Database
from realname_kit.migrate import upgrade
from realname_kit.privacy import Keyring, add_key, ensure_keyring
from realname_kit.privacy.blobs import open_bytes
from realname_kit.privacy.rotation import rekey_service
from realname_kit.service import load_spec
from realname_registry.models import EVIDENCE_CONTENT_CONTEXT
from tests.support.documents import pdf

SPEC = load_spec("registry")
BEFORE_ENCRYPTION = "9c2d51e0a7b3"
ID_NUMBER = "11010519491231002X"
CERTIFICATE = pdf(f"Certificate for ID {ID_NUMBER}")


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("stack").settings.database_url_for("registry"))
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    ensure_keyring(tmp_path / "data-keys.json")
    return tmp_path / "data-keys.json"


def stored_before_encryption(url: str) -> Database:
    upgrade(SPEC, url, BEFORE_ENCRYPTION)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO evidence_files (id, employer_id, filename, content_type, size, sha256, "
                          "content, uploaded_by, uploaded_at) VALUES ('e1', 'emp', 'c.pdf', 'application/pdf', "
                          ":size, 'x', :content, 'clerk', CURRENT_TIMESTAMP)"),
                     {"size": len(CERTIFICATE), "content": CERTIFICATE})
    return db


def stored(db: Database) -> str:
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM evidence_files WHERE id = 'e1'")).one()
    assert ID_NUMBER not in "".join(str(v) for v in row)
    return str(row.content_enc)


def test_the_migration_encrypts_the_files_stored_before_and_drops_the_plaintext(url: str, keys: Path) -> None:
    db = stored_before_encryption(url)
    try:
        upgrade(SPEC, url, keyring=lambda: Keyring.load(keys))
        assert "content" not in {c["name"] for c in inspect(db.engine).get_columns("evidence_files")}
        assert open_bytes(Keyring.load(keys), stored(db), EVIDENCE_CONTENT_CONTEXT) == CERTIFICATE
    finally:
        db.dispose()


def test_the_migration_refuses_to_run_on_stored_files_without_the_keyring(url: str) -> None:
    db = stored_before_encryption(url)
    try:
        with pytest.raises(RuntimeError, match="no data keyring"):
            upgrade(SPEC, url)
    finally:
        db.dispose()


def test_a_key_rotation_re_encrypts_the_evidence_files_too(url: str, keys: Path) -> None:
    db = stored_before_encryption(url)
    try:
        upgrade(SPEC, url, keyring=lambda: Keyring.load(keys))
        new_kid = add_key(keys)
        assert rekey_service(SPEC, db, Keyring.load(keys)) == 1
        assert stored(db).startswith(f"v1:{new_kid}:")
        assert open_bytes(Keyring.load(keys), stored(db), EVIDENCE_CONTENT_CONTEXT) == CERTIFICATE
    finally:
        db.dispose()
