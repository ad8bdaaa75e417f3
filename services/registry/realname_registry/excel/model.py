"""What reading an import sheet yields: rows with their errors, or a refusal of the whole file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SheetProblem = Literal["not_an_xlsx", "workbook_too_large", "sheet_too_slow", "too_many_rows", "header_missing",
                       "columns_missing"]


@dataclass(frozen=True, slots=True)
class CellError:
    """One cell that could not be read; the message is for the person who filled the sheet."""

    column_header: str
    message_zh: str


@dataclass(slots=True)
class SheetRow:
    """One non-empty data row.

    ``body`` has the registration body's shape (``identity``, ``phone``, ``employment`` and, in a team
    sheet, ``team_leader``); a cell listed in ``errors`` is absent from it. ``values`` are the cells as
    read, for the error copy.
    """

    number: int
    values: tuple[Any, ...]
    body: dict[str, Any]
    errors: list[CellError] = field(default_factory=list)

    def reasons_zh(self) -> list[str]:
        """The errors as the error copy shows them (列名：原因)."""
        return [f"{e.column_header}：{e.message_zh}" for e in self.errors]


class SheetError(Exception):
    """The file as a whole cannot be imported; rows already read from it must be discarded too."""

    def __init__(self, reason: SheetProblem, message_zh: str, message_en: str,
                 missing: tuple[str, ...] = ()) -> None:
        super().__init__(message_en)
        self.reason: SheetProblem = reason
        self.message_zh = message_zh
        self.message_en = message_en
        self.missing = missing  # the Chinese headers of missing required columns (columns_missing)
