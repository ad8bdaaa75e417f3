"""The error copy of an import: the failed rows as uploaded, each with its reasons, to correct and upload again."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from realname_registry.excel.model import SheetRow

ROW_NUMBER_HEADER = "原行号"
REASONS_HEADER = "错误原因"
REASON_SEPARATOR = "；"


class ErrorCopy:
    """Written in openpyxl's write-only mode: memory stays flat however many rows failed."""

    def __init__(self, headers: Sequence[str]) -> None:
        self._workbook = Workbook(write_only=True)
        self._sheet: Any = self._workbook.create_sheet("导入失败的行")
        self._width = len(headers)
        for index, width in ((1, 8), *((i, 16) for i in range(2, self._width + 2)), (self._width + 2, 60)):
            self._sheet.column_dimensions[get_column_letter(index)].width = width
        self._sheet.append([_text(self._sheet, h, Font(bold=True))
                            for h in (ROW_NUMBER_HEADER, *headers, REASONS_HEADER)])
        self._saved: bytes | None = None
        self.count = 0

    def add(self, row: SheetRow, reasons_zh: Sequence[str]) -> None:
        """The row's cells as uploaded, after its Excel row number, and its reasons in the last column."""
        if self._saved is not None:
            raise RuntimeError("the error copy has been written already")
        values = (*row.values[:self._width], *(None,) * (self._width - len(row.values)))
        reasons = _text(self._sheet, REASON_SEPARATOR.join(reasons_zh), Font(color="C00000"))
        self._sheet.append([row.number, *(self._cell(v) for v in values), reasons])
        self.count += 1

    def to_bytes(self) -> bytes:
        """The workbook (a write-only workbook is saved once: later calls return the same bytes)."""
        if self._saved is None:
            out = io.BytesIO()
            self._workbook.save(out)
            self._saved = out.getvalue()
        return self._saved

    def _cell(self, value: Any) -> Any:
        if isinstance(value, str):
            return _text(self._sheet, value) if value else None
        if isinstance(value, datetime | date):
            cell = WriteOnlyCell(self._sheet, value=value)
            cell.number_format = "yyyy-mm-dd"
            return cell
        return value


def _text(sheet: Any, value: str, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"  # text as typed, never a formula, whatever it starts with
    if font is not None:
        cell.font = font
    return cell
