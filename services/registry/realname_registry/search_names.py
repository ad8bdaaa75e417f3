"""Names in worker search (R14): the 1–2 character pieces index, and the condition a name query becomes.

Trigram indexes (pg_trgm on PostgreSQL, the FTS5 trigram table on SQLite) find three characters in a row
and nothing shorter, yet most Chinese names have two or three characters and people search by a surname
(``张``) or a two-character name (``李四``). So every 1- and 2-character piece of every name is kept in
``worker_name_grams``, and a query of one or two characters is looked up there.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Table,
    column,
    delete,
    insert,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.util import AliasedClass

from realname_kit.problems import Problem
from realname_registry.models import NameGram, Worker

# The middle dot between the parts of a minority name, in the forms input methods and card readers give.
MIDDLE_DOTS = frozenset("·・•‧∙")
NAME_DOT = "·"  # the one card readers give
# What people type for "anything": never part of a name, so a query of nothing else asks for nothing.
WILDCARDS = frozenset("%_*?")
# Similar names (pg_trgm's strict word similarity, at its 0.5 threshold) from four characters: a long name
# typed with one character wrong (``阿不杜拉·买买提``) is found. A three-character name shares half its
# trigrams with every name beginning with the same two characters: ``李芳涛`` would bring thousands of
# ``李芳…``, the one sought lost among them, and reading them takes a tenth of a second.
SIMILAR_FROM = 4
_GRAMS = cast("Table", NameGram.__table__)  # Core: one executemany, no ORM bookkeeping per row
_FTS = table("workers_fts", column("rowid", Integer))
_FTS_MATCH: ColumnElement[str] = literal_column("workers_fts")  # FTS5 matches against the table's own name


def clean_name(name: str) -> str:
    """NFKC (full-width forms become plain), lower case, whitespace and middle dots taken out."""
    text = unicodedata.normalize("NFKC", name).lower()
    return "".join(c for c in text if not c.isspace() and c not in MIDDLE_DOTS)


def name_grams(name: str) -> set[str]:
    """Every 1- and 2-character piece of the cleaned name (``阿卜·买`` gives ``阿 卜 买 阿卜 卜买``)."""
    text = clean_name(name)
    return set(text) | {text[i:i + 2] for i in range(len(text) - 1)}


def index_names(session: Session, rows: Iterable[tuple[int, str]]) -> int:
    """Index the names of new workers (``(worker_seq, name)``) in one executemany; the number of pieces."""
    values = [{"gram": gram, "worker_seq": seq} for seq, name in rows for gram in sorted(name_grams(name))]
    if values:
        session.execute(insert(_GRAMS), values)
    return len(values)


def reindex_name(session: Session, worker_seq: int, name: str) -> None:
    """After a name change: the worker's old pieces go, the new name's come."""
    session.execute(delete(_GRAMS).where(_GRAMS.c.worker_seq == worker_seq))
    index_names(session, [(worker_seq, name)])


def uses_trigrams(query: str) -> bool:
    """Whether a name query is looked up through the trigram index (three characters or more)."""
    return len(clean_name(query)) > 2


def name_condition(query: str, dialect: str) -> ColumnElement[bool]:
    """A ``Worker`` whose name holds ``query`` (see ``name_matches``)."""
    if dialect == "postgresql" and uses_trigrams(query):  # on the row itself: no second visit to the table
        return _similar_names(Worker, _typed(query))
    return Worker.seq.in_(name_matches(query, dialect))


def name_matches(query: str, dialect: str) -> Select[int]:
    """The ``seq`` of workers whose name holds ``query``: by its pieces up to two characters, by trigrams
    from three (on PostgreSQL, from four characters, also names similar enough: see ``SIMILAR_FROM``)."""
    typed = _typed(query)
    if not uses_trigrams(typed):
        return select(NameGram.worker_seq).where(NameGram.gram == clean_name(typed))
    if dialect == "postgresql":
        named = aliased(Worker, name="named")
        return select(named.seq).where(_similar_names(named, typed))
    phrase = '"' + typed.replace('"', '""') + '"'  # an FTS5 phrase: trigram tokens match a substring
    return select(_FTS.c.rowid).where(_FTS_MATCH.op("MATCH")(phrase))


def _typed(query: str) -> str:
    """The query as typed, less whitespace, each middle dot the one names are read with; refused if nothing of
    a name is in it."""
    typed = "".join(NAME_DOT if c in MIDDLE_DOTS else c for c in unicodedata.normalize("NFKC", query).lower()
                    if not c.isspace()).strip(NAME_DOT)
    if not set(typed) - WILDCARDS - {NAME_DOT}:
        raise Problem(422, "name_query", "The name to search for has no characters of a name",
                      "Give one or more characters of the worker's name (wildcards are not needed).", field="name",
                      message_zh="查询的姓名中没有汉字或字母：请输入工人姓名中的一个或几个字（不需要通配符）。")
    return typed


def _similar_names(worker: type[Worker] | AliasedClass[Worker], typed: str) -> ColumnElement[bool]:
    matches: ColumnElement[bool] = worker.name.ilike(f"%{escape_like(typed)}%", escape="\\")
    if len(clean_name(typed)) >= SIMILAR_FROM:  # the query is like a part of the name, word for word (pg_trgm ``<<%``)
        matches = or_(matches, literal(typed, String).op("<<%")(worker.name))
    return matches


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
