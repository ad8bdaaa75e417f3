"""Cursor pagination: ``?limit=&cursor=``, answered with ``{items, next_cursor}``."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from marshmallow import Schema, fields, validate
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from realname_kit.problems import Problem

T = TypeVar("T")


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500),
                           metadata={"description": "Items per page (1–500)."})
    cursor = fields.String(load_default=None, metadata={"description": "`next_cursor` of the previous page."})


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item)),
                             "next_cursor": fields.String(allow_none=True)}, name=name)


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


class CursorInvalid(Problem):
    """A cursor this list did not give out (crafted, cut short, or from another list): start again without one."""

    def __init__(self) -> None:
        super().__init__(400, "cursor_invalid", "The cursor is not one this list gave out",
                         "Start again without a cursor, from the first page.",
                         message_zh="翻页游标无效（不是本列表给出的）。请不带游标从第一页重新开始。")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The position a cursor holds, not yet checked field by field: use ``cursor_position``."""
    if not cursor:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:  # bad base64, bad UTF-8, bad JSON (all ValueError), or nothing usable
        raise CursorInvalid() from exc
    if not isinstance(decoded, dict):
        raise CursorInvalid()
    return decoded


_BIGINT = 2**63  # a position outside PostgreSQL's bigint (or SQLite's integer) would fail in the database
_LONGEST_TEXT = 200  # a key this list gave out is an id or a timestamp, never a page of text


def _checked(value: Any, kind: type) -> Any:
    """``value`` as a position field of ``kind`` (int, str or datetime), or CursorInvalid."""
    if kind is int and type(value) is int and 0 <= value < _BIGINT:  # seq keys start at 1; bool is no int here
        return value
    if kind is str and type(value) is str and len(value) <= _LONGEST_TEXT and "\x00" not in value:
        return value  # PostgreSQL cannot hold a NUL character: it would answer 500, not "no such row"
    if kind is datetime and type(value) is str and len(value) <= _LONGEST_TEXT:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise CursorInvalid() from None
        if moment.tzinfo is not None:
            return moment
    raise CursorInvalid()


def cursor_position(cursor: str | None, shape: Mapping[str, type]) -> dict[str, Any] | None:
    """The fields of a cursor this list gave out, each checked to be of the type ``shape`` names (int within a
    bigint and not negative, str, or an ISO datetime with an offset, which comes back parsed); None without a
    cursor; a 400 ``cursor_invalid`` for anything else. The one check of every list's cursor."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    if set(position) != set(shape):
        raise CursorInvalid()
    return {name: _checked(position[name], kind) for name, kind in shape.items()}


def seq_after(cursor: str | None) -> int | None:
    """The position of a cursor over a growing integer key (``seq``), or None without one; else 400."""
    position = cursor_position(cursor, {"after": int})
    return None if position is None else int(position["after"])


def keyset_page(session: Session, query: Select[T], key: InstrumentedAttribute[Any], limit: int,
                cursor: str | None) -> tuple[list[T], str | None]:
    """One page of ``query`` ordered by the unique column ``key``, after the cursor's position."""
    position = cursor_position(cursor, {"after": int if key.type.python_type is int else str})
    if position is not None:
        query = query.where(key > position["after"])
    rows = list(session.scalars(query.order_by(key).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor({"after": getattr(rows[-1], key.key)})
