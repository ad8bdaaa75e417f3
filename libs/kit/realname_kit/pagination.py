"""Cursor pagination: ``?limit=&cursor=``, answered with ``{items, next_cursor}``."""

from __future__ import annotations

import base64
import json
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


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise Problem(400, "cursor_invalid", "The cursor is not one this list gave out",
                      "Start again without a cursor.",
                      message_zh="翻页标记无效：请不带 cursor 从第一页重新查询。") from exc
    if not isinstance(decoded, dict):
        raise Problem(400, "cursor_invalid", "The cursor is not one this list gave out",
                      message_zh="翻页标记无效：请不带 cursor 从第一页重新查询。")
    return decoded


_BIGINT = 2**63  # a position outside PostgreSQL's bigint would fail in the database, not here


def seq_after(cursor: str | None) -> int | None:
    """The position of a cursor over a growing integer key (``seq``), or None without one; else 400."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    after = position.get("after")
    if type(after) is not int or not -_BIGINT <= after < _BIGINT:
        raise Problem(400, "cursor_invalid", "The cursor is not one this list gave out",
                      "Start again without a cursor.",
                      message_zh="翻页标记无效：请不带 cursor 从第一页重新查询。")
    return after


def keyset_page(session: Session, query: Select[T], key: InstrumentedAttribute[Any], limit: int,
                cursor: str | None) -> tuple[list[T], str | None]:
    """One page of ``query`` ordered by the unique column ``key``, after the cursor's position."""
    position = decode_cursor(cursor)
    if position is not None:
        if "after" not in position:
            raise Problem(400, "cursor_invalid", "The cursor is not one this list gave out",
                          message_zh="翻页标记无效：请不带 cursor 从第一页重新查询。")
        query = query.where(key > position["after"])
    rows = list(session.scalars(query.order_by(key).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor({"after": getattr(rows[-1], key.key)})
