"""Protected columns: a field ``phone`` is stored as ``phone_enc`` (ciphertext) and ``phone_bidx`` (blind index).

Declare the field once, next to the model, and use it for the columns, for writing and for lookups::

    PHONE = ProtectedField("registry.workers", "phone", kind="phone")

    class Worker(Base):
        __tablename__ = "workers"
        ...
        phone_enc, phone_bidx = PHONE.mapped_columns()   # Core: Table(..., *PHONE.columns())

    session.execute(insert(Worker).values(name=..., **PHONE.seal(keyring, "138 1234 5678")))
    session.scalars(select(Worker).where(Worker.phone_bidx == PHONE.index(keyring, "+8613812345678")))
    PHONE.open(keyring, worker.phone_enc)  # "13812345678"

``rekey_rows`` re-encrypts stored values under the active key after ``add_key``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Column, CursorResult, String, Table, Text, and_, not_, or_, select, tuple_, update
from sqlalchemy.orm import MappedColumn, Session, mapped_column
from sqlalchemy.sql import FromClause

from realname_kit.privacy.keyring import VERSION, Keyring
from realname_kit.privacy.normalise import Kind, normalise

BLIND_INDEX_LENGTH = 64


@dataclass(frozen=True, slots=True)
class ProtectedField:
    """One protected field of one table. ``context`` (``<context_prefix>.<name>``) binds its ciphertexts.

    The blind index is keyed by ``index_field`` (default: the context, so equal numbers in two tables do
    not link); give two fields the same ``index_field`` only when they must be matched with each other.
    """

    context_prefix: str
    name: str
    kind: Kind = "text"
    index_field: str | None = None

    @property
    def context(self) -> str:
        return f"{self.context_prefix}.{self.name}"

    @property
    def enc_name(self) -> str:
        return f"{self.name}_enc"

    @property
    def bidx_name(self) -> str:
        return f"{self.name}_bidx"

    def columns(self, *, nullable: bool = True, unique: bool = False) -> tuple[Column[str], Column[str]]:
        """Fresh ``<name>_enc`` (Text) and ``<name>_bidx`` (String(64), indexed) columns."""
        return (Column(self.enc_name, Text, nullable=nullable),
                Column(self.bidx_name, String(BLIND_INDEX_LENGTH), nullable=nullable, index=True, unique=unique))

    def mapped_columns(self, *, nullable: bool = True,
                       unique: bool = False) -> tuple[MappedColumn[str | None], MappedColumn[str | None]]:
        """The same two columns for a declarative model: ``phone_enc, phone_bidx = PHONE.mapped_columns()``."""
        return (mapped_column(self.enc_name, Text, nullable=nullable),
                mapped_column(self.bidx_name, String(BLIND_INDEX_LENGTH), nullable=nullable, index=True,
                              unique=unique))

    def seal(self, keyring: Keyring, value: str | None) -> dict[str, str | None]:
        """Column values for ``value``, normalised first (so ``open`` gives the normalised form)."""
        if value is None:
            return {self.enc_name: None, self.bidx_name: None}
        clean = normalise(value, self.kind)
        return {self.enc_name: keyring.encrypt(clean, context=self.context), self.bidx_name: self.index(keyring, clean)}

    def open(self, keyring: Keyring, stored: str | None) -> str | None:
        return None if stored is None else keyring.decrypt(stored, context=self.context)

    def index(self, keyring: Keyring, value: str) -> str:
        """The blind index to look ``value`` up by (``table.c.<name>_bidx == field.index(keyring, value)``)."""
        return keyring.blind_index(value, field=self.index_field or self.context, kind=self.kind)


def rekey_rows(session: Session, table: Table | FromClause, field_names: Sequence[str], context_prefix: str,
               keyring: Keyring, *, batch: int = 500) -> int:
    """Re-encrypt every value of these fields not under the active key; returns the number of rows changed.

    One pass in primary-key order, ``batch`` rows per transaction: it commits after each batch, so pass a
    session outside ``Database.transaction()``. Idempotent and safe to rerun after a crash (only values
    not under the active key are read). A row written meanwhile is left alone (the update requires the
    value it read); a rerun picks it up if it still needs it. Blind indexes do not change.
    """
    if not isinstance(table, Table):
        raise TypeError(f"rekey_rows needs a Table (a model's __table__), not {type(table).__name__}")
    if batch < 1:
        raise ValueError("batch must be at least 1")
    pk = list(table.primary_key.columns)
    if not pk:
        raise ValueError(f"table {table.name} has no primary key")
    enc = {name: table.c[f"{name}_enc"] for name in field_names}
    current = f"{VERSION}:{keyring.active}:"
    pending = or_(*(and_(c.is_not(None), not_(c.startswith(current, autoescape=True))) for c in enc.values()))
    key = pk[0] if len(pk) == 1 else tuple_(*pk)
    changed, last = 0, None
    while True:
        query = select(*pk, *enc.values()).where(pending).order_by(*pk).limit(batch)
        if last is not None:
            query = query.where(key > (last[0] if len(pk) == 1 else tuple_(*last)))
        rows = session.execute(query).all()
        if not rows:
            return changed
        for row in rows:
            ids, values = row[:len(pk)], dict(zip(enc, row[len(pk):], strict=True))
            new = {name: keyring.rekey(v, context=f"{context_prefix}.{name}")
                   for name, v in values.items() if v is not None and keyring.needs_rekey(v)}
            stmt = (update(table)
                    .where(*(c == v for c, v in zip(pk, ids, strict=True)))
                    .where(*(enc[name] == values[name] for name in new))
                    .values({enc[name]: v for name, v in new.items()}))
            changed += cast("CursorResult[Any]", session.execute(stmt)).rowcount
            last = ids
        session.commit()
