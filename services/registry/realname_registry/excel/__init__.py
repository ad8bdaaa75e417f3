"""Excel import of workers (R10): the templates, the streamed reader and the error copy. Pure I/O: no database."""

from realname_registry.excel.archive import check_archive
from realname_registry.excel.columns import (
    EXAMPLE_ID_NUMBER,
    TEAM_COLUMNS,
    WORKER_COLUMNS,
    Column,
    SheetKind,
    columns_for,
)
from realname_registry.excel.error_copy import ErrorCopy
from realname_registry.excel.model import CellError, SheetError, SheetRow
from realname_registry.excel.reader import MAX_ROWS, SheetRows, read_rows
from realname_registry.excel.template import template_workbook

__all__ = ["EXAMPLE_ID_NUMBER", "MAX_ROWS", "TEAM_COLUMNS", "WORKER_COLUMNS", "CellError", "Column", "ErrorCopy",
           "SheetError", "SheetKind", "SheetRow", "SheetRows", "check_archive", "columns_for", "read_rows",
           "template_workbook"]
