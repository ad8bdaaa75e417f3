"""Personal data at rest on PostgreSQL: no plaintext anywhere in the database, lookups, key rotation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, Text, insert, select, text

from realname_kit.db import Database, drop_database, ensure_database
from realname_kit.privacy import Keyring, ProtectedField, add_key, key_id, normalise, rekey_rows
from tests.support.stack import Stack

PREFIX = "privacy.workers"
ID_NUMBER = ProtectedField(PREFIX, "id_number", kind="id_number")
PHONE = ProtectedField(PREFIX, "phone", kind="phone")
BANK_CARD = ProtectedField(PREFIX, "bank_card", kind="bank_card")
FIELDS = {"id_number": ID_NUMBER, "phone": PHONE, "bank_card": BANK_CARD}

metadata = MetaData()
workers = Table("workers", metadata, Column("id", Integer, primary_key=True), Column("name", Text),
                *ID_NUMBER.columns(), *PHONE.columns(), *BANK_CARD.columns())

PEOPLE: list[dict[str, str | None]] = [
    {"name": "张伟", "id_number": "31010419900101123X", "phone": "138 1234 5678", "bank_card": "6222021234567890123"},
    {"name": "王芳", "id_number": "310104900101123", "phone": "+86 139-8765-4321", "bank_card": "6217 0012 3456 7890"},
    {"name": "李娜", "id_number": "44030419851231002x", "phone": None, "bank_card": "6228480402564890018"},
]
PEOPLE += [{"name": f"工人{n}", "id_number": f"3101041990{n:02d}01{n:03d}7", "phone": f"1380000{n:04d}",
            "bank_card": f"62220200{n:011d}"} for n in range(1, 9)]


@pytest.fixture
def database(stack: Stack) -> Iterator[Database]:
    url = stack.settings.database_url_for("privacy")
    ensure_database(url)
    db = Database(url)
    try:
        metadata.create_all(db.engine)
        yield db
    finally:
        db.dispose()
        drop_database(url)


def dump(engine: Engine) -> str:
    """Every row of every table of the database as PostgreSQL writes it out (``COPY ... TO STDOUT``)."""
    out: list[str] = []
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) "
                                   "FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                                   "AND table_schema NOT IN ('pg_catalog', 'information_schema')")).scalars().all()
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for table in tables:
            with cursor.copy(f"COPY (SELECT * FROM {table}) TO STDOUT") as copy:
                out.append(f"-- {table}\n" + b"".join(bytes(chunk) for chunk in copy).decode())
    assert "-- public.workers" in "\n".join(out)
    return "\n".join(out)


def assert_no_plaintext(raw: str) -> None:
    assert len(raw.splitlines()) > len(PEOPLE)
    for person in PEOPLE:
        for field, protected in FIELDS.items():
            value = person[field]
            if value is None:
                continue
            forms = {value, normalise(value, protected.kind), "".join(c for c in value if c.isdigit())}
            for form in forms:
                assert form.lower() not in raw.lower(), f"{field} of {person['name']} is readable in the database"


def stored(db: Database) -> list[dict[str, object]]:
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(workers).order_by(workers.c.id))]


def test_personal_data_is_encrypted_at_rest_found_by_blind_index_and_rekeyed(stack: Stack,
                                                                            database: Database) -> None:
    keyring = Keyring.from_settings(stack.settings)
    with database.transaction() as session:
        for n, person in enumerate(PEOPLE):
            values: dict[str, object] = {"id": n, "name": person["name"]}
            for field, protected in FIELDS.items():
                values |= protected.seal(keyring, person[field])
            session.execute(insert(workers).values(values))

    raw = dump(database.engine)
    assert_no_plaintext(raw)
    with pytest.raises(AssertionError, match="readable"):  # the check itself sees a plaintext, spaced or not
        assert_no_plaintext(raw + "\t13812345678\n")

    with database.engine.connect() as conn:
        found = conn.execute(select(workers).where(workers.c.phone_bidx == PHONE.index(keyring, "13987654321"))).one()
        assert found.name == "王芳" and PHONE.open(keyring, found.phone_enc) == "13987654321"
        found = conn.execute(select(workers).where(
            workers.c.id_number_bidx == ID_NUMBER.index(keyring, "44030419851231002X"))).one()
        assert found.name == "李娜" and BANK_CARD.open(keyring, found.bank_card_enc) == "6228480402564890018"
        assert conn.execute(select(workers).where(
            workers.c.bank_card_bidx == BANK_CARD.index(keyring, "6222 0212 3456 7890 124"))).first() is None

    before = stored(database)
    old_kid = keyring.active
    new_kid = add_key(stack.settings.data_keys_file)
    rotated = Keyring.from_settings(stack.settings)
    assert rotated.active == new_kid != old_kid
    with database.sessions() as session:
        assert rekey_rows(session, workers, list(FIELDS), PREFIX, rotated, batch=4) == len(PEOPLE)

    after = stored(database)
    raw = dump(database.engine)
    assert_no_plaintext(raw)
    assert f"v1:{old_kid}:" not in raw
    for person, old, new in zip(PEOPLE, before, after, strict=True):
        for field, protected in FIELDS.items():
            enc, bidx = protected.enc_name, protected.bidx_name
            assert new[bidx] == old[bidx]
            if person[field] is None:
                assert new[enc] is None
                continue
            assert key_id(str(new[enc])) == new_kid and new[enc] != old[enc]
            assert protected.open(rotated, str(new[enc])) == normalise(str(person[field]), protected.kind)

    with database.sessions() as session:
        assert rekey_rows(session, workers, list(FIELDS), PREFIX, rotated, batch=4) == 0
    assert stored(database) == after
    assert dump(database.engine) == raw
