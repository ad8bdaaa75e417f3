"""Where the columns are in an uploaded sheet, and each data row turned into a registration body."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from realname_registry.excel import cells
from realname_registry.excel.choices import Invalid
from realname_registry.excel.columns import EXAMPLE_ID_NUMBER, Column, by_header, normalise_header
from realname_registry.excel.model import CellError, SheetError, SheetRow

HEADER_SEARCH_ROWS = 20  # a title or a note may sit above the header row
MIN_HEADER_MATCHES = 2
REQUIRED_EMPTY = "必填，不能为空"

RawRow = tuple[int, tuple[Any, ...]]  # Excel row number, cell values


@dataclass(frozen=True, slots=True)
class Layout:
    header_row: int
    headers: tuple[str, ...]  # the header row as written, for the error copy
    positions: tuple[tuple[Column, int | None], ...]  # None: an optional column the sheet does not have

    def is_example(self, values: tuple[Any, ...]) -> bool:
        """The template's example row, recognised by GB 11643's example ID number."""
        index = next(i for c, i in self.positions if c.kind == "id_number")
        return index is not None and cells.text(values[index]).upper() == EXAMPLE_ID_NUMBER

    def row(self, number: int, values: tuple[Any, ...]) -> SheetRow:
        body: dict[str, Any] = {}
        row = SheetRow(number, values, body)
        for column, index in self.positions:
            raw = values[index] if index is not None else None
            typed = cells.text(raw)
            if not typed:
                if column.required:
                    row.errors.append(CellError(column.header, REQUIRED_EMPTY))
                else:
                    _put(body, column.key, False if column.kind == "yes_no" else None)
                continue
            try:
                value = cells.convert(column.kind, raw, typed)
            except Invalid as exc:
                row.errors.append(CellError(column.header, str(exc)))
                continue
            if column.kind == "bank":
                value, other_name = value
                if other_name is not None:
                    _put(body, "employment.bank_name", other_name)  # R8: a bank off the list is 其他, named
            _put(body, column.key, value)
        return row


def find_header(rows: Iterator[RawRow], columns: tuple[Column, ...]) -> Layout:
    """Reads rows up to the header row (the first one naming known columns); the data rows follow it."""
    known = by_header(columns)
    for number, values in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        found: dict[Column, int] = {}
        for index, value in enumerate(values):
            column = known.get(normalise_header(value)) if isinstance(value, str) else None
            if column is not None:
                found.setdefault(column, index)  # a repeated header: the first one counts
        if len(found) >= MIN_HEADER_MATCHES:
            return _layout(number, values, columns, found)
    raise SheetError("header_missing",
                     f"前 {HEADER_SEARCH_ROWS} 行中找不到表头行（姓名、身份证号码等列名），请使用导入模板",
                     f"No header row naming the import columns in the first {HEADER_SEARCH_ROWS} rows")


def _layout(number: int, values: tuple[Any, ...], columns: tuple[Column, ...], found: dict[Column, int]) -> Layout:
    missing = tuple(c.header for c in columns if c.required and c not in found)
    if missing:
        raise SheetError("columns_missing", f"缺少必填列：{'、'.join(missing)}",
                         f"Required columns are missing: {', '.join(missing)}", missing)
    headers = tuple(cells.text(v) for v in values)
    while headers and not headers[-1]:
        headers = headers[:-1]
    return Layout(number, headers, tuple((c, found.get(c)) for c in columns))


def _put(body: dict[str, Any], key: str, value: Any) -> None:
    section, _, leaf = key.rpartition(".")
    (body.setdefault(section, {}) if section else body)[leaf] = value
