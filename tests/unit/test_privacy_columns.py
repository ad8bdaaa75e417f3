"""Protected columns on a declarative model, and rekeying in batches (SQLite: the logic, not the server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Integer, String, create_engine, insert, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from realname_kit.privacy import Keyring, ProtectedField, add_key, ensure_keyring, key_id, rekey_rows

ID_NUMBER = ProtectedField("test.people", "id_number", kind="id_number")
PHONE = ProtectedField("test.people", "phone", kind="phone")
FIELDS = ("id_number", "phone")


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number_enc, id_number_bidx = ID_NUMBER.mapped_columns(nullable=False, unique=True)
    phone_enc, phone_bidx = PHONE.mapped_columns()


def id_number(n: int) -> str:
    return f"310104199001{n:05d}X"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    ensure_keyring(tmp_path / "keys.json")
    return tmp_path / "keys.json"


@pytest.fixture
def engine(key_file: Path) -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    ring = Keyring.load(key_file)
    with Session(engine) as session, session.begin():
        for n in range(7):
            session.execute(insert(Person).values(
                id=n, name=f"工人{n}", **ID_NUMBER.seal(ring, id_number(n)),
                **PHONE.seal(ring, None if n == 3 else f"+86 138 0000 {n:04d}")))
    yield engine
    engine.dispose()


def test_the_model_has_ciphertext_and_indexed_blind_index_columns(engine: Engine) -> None:
    columns = {c["name"]: c for c in inspect(engine).get_columns("people")}
    assert set(columns) == {"id", "name", "id_number_enc", "id_number_bidx", "phone_enc", "phone_bidx"}
    indexes = {tuple(i["column_names"]): bool(i["unique"]) for i in inspect(engine).get_indexes("people")}
    assert indexes == {("id_number_bidx",): True, ("phone_bidx",): False}


def test_a_person_is_found_by_blind_index_and_read_back_normalised(engine: Engine, key_file: Path) -> None:
    ring = Keyring.load(key_file)
    with Session(engine) as session:
        person = session.scalars(select(Person).where(Person.phone_bidx == PHONE.index(ring, "13800000005"))).one()
        assert person.name == "工人5"
        assert PHONE.open(ring, person.phone_enc) == "13800000005"
        by_id = select(Person).where(Person.id_number_bidx == ID_NUMBER.index(ring, id_number(2).lower()))
        assert ID_NUMBER.open(ring, session.scalars(by_id).one().id_number_enc) == id_number(2)
        assert PHONE.open(ring, session.get_one(Person, 3).phone_enc) is None


def test_a_ciphertext_of_one_field_does_not_open_as_another(engine: Engine, key_file: Path) -> None:
    ring = Keyring.load(key_file)
    with Session(engine) as session:
        person = session.get_one(Person, 1)
        with pytest.raises(Exception, match="does not authenticate"):
            ID_NUMBER.open(ring, person.phone_enc)


def stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(Person.__table__).order_by(Person.id))]


def test_rekey_moves_every_value_to_the_active_key_once(engine: Engine, key_file: Path) -> None:
    before = stored(engine)
    kid = add_key(key_file)
    ring = Keyring.load(key_file)
    with Session(engine) as session:
        assert rekey_rows(session, Person.__table__, FIELDS, "test.people", ring, batch=2) == 7
    after = stored(engine)
    for old, new in zip(before, after, strict=True):
        assert old[:2] == new[:2] and old[3] == new[3] and old[5] == new[5]  # ids, names, blind indexes
        assert key_id(new[2] or "") == kid and ID_NUMBER.open(ring, new[2]) == ID_NUMBER.open(ring, old[2])
        assert new[4] is None if old[4] is None else PHONE.open(ring, new[4]) == PHONE.open(ring, old[4])
    with Session(engine) as session:
        assert rekey_rows(session, Person.__table__, FIELDS, "test.people", ring, batch=2) == 0
    assert stored(engine) == after




def test_a_rekey_run_that_crashed_is_finished_by_the_next(engine: Engine, key_file: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    kid = add_key(key_file)
    ring = Keyring.load(key_file)
    calls = {"n": 0}
    real_encrypt = Keyring.encrypt

    def encrypt_then_crash(self: Keyring, plaintext: str, *, context: str) -> str:
        calls["n"] += 1
        if calls["n"] == 6:
            raise RuntimeError("killed")
        return real_encrypt(self, plaintext, context=context)

    monkeypatch.setattr(Keyring, "encrypt", encrypt_then_crash)
    with Session(engine) as session, pytest.raises(RuntimeError, match="killed"):
        rekey_rows(session, Person.__table__, FIELDS, "test.people", ring, batch=2)
    monkeypatch.undo()
    done = [r for r in stored(engine) if key_id(r[2] or "") == kid]
    assert [r[0] for r in done] == [0, 1]  # the first batch was committed, the second rolled back
    with Session(engine) as session:
        assert rekey_rows(session, Person.__table__, FIELDS, "test.people", ring, batch=2) == 5
    assert all(key_id(r[2] or "") == kid and (r[4] is None or key_id(r[4]) == kid) for r in stored(engine))
