"""Reading an uploaded import sheet row by row (R10), streamed: memory stays flat however long the sheet,
and the work per file is bounded: by its unpacked size (``archive``), by its rows and columns, by a run of
blank rows that ends the sheet, and by a time limit.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Generator, Iterator
from types import TracebackType
from typing import Any, BinaryIO

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from realname_registry.excel.archive import check_archive, not_an_xlsx
from realname_registry.excel.columns import SheetKind, columns_for
from realname_registry.excel.layout import RawRow, find_header
from realname_registry.excel.model import SheetError, SheetRow

MAX_ROWS = 50_000
MAX_COLUMNS = 200  # columns further right are ignored: nobody fills more, and a row stays small
# The sheet ends at its real data: a run of this many blank rows ends it. People leave a blank row or a few
# between blocks of rows, never a thousand; a sheet formatted (or padded) down to row 1,048,576 would
# otherwise be read to its end, blank row by blank row. A thousand blank rows read in a fraction of a second.
# The <dimension> a sheet declares is trusted neither way: rows past it are read (it is often stale) and a
# dimension far past the data does not make the reader go there.
BLANK_RUN_ENDS_SHEET = 1_000
# The whole file, staging included, within this time: ~5x what 50,000 full rows take on a busy server.
MAX_READ_SECONDS = 120.0

Clock = Callable[[], float]


def read_rows(source: BinaryIO | bytes, kind: SheetKind, *, max_rows: int = MAX_ROWS,
              max_seconds: float = MAX_READ_SECONDS, clock: Clock = time.monotonic) -> SheetRows:
    """The data rows of the first sheet; raises SheetError at once when the file or its header is unusable,
    and while iterating when it has too many rows or takes longer than ``max_seconds`` to read.

    Iterate to the end, or call ``close()`` (or use ``with``): the workbook is closed then, and on any error.
    """
    deadline = _Deadline(clock, max_seconds)
    buffer = _seekable(source)
    check_archive(buffer)
    try:
        workbook = load_workbook(buffer, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises anything from BadZipFile to KeyError on a file it cannot read
        raise not_an_xlsx() from exc
    try:
        return SheetRows(workbook, kind, max_rows, deadline)
    except BaseException:
        workbook.close()
        raise


class SheetRows(Iterator[SheetRow]):
    """The non-empty data rows, the template's example row left out; ``headers`` is the header row as written."""

    def __init__(self, workbook: Workbook, kind: SheetKind, max_rows: int = MAX_ROWS,
                 deadline: _Deadline | None = None) -> None:
        self._workbook = workbook
        self._max_rows = max_rows
        self.closed = False
        raw = _raw_rows(workbook, deadline or _Deadline(time.monotonic, MAX_READ_SECONDS))
        self.layout = find_header(raw, columns_for(kind))
        self.headers = self.layout.headers
        self._rows = self._data_rows(raw)

    def __next__(self) -> SheetRow:
        return next(self._rows)

    def close(self) -> None:
        self._rows.close()
        self._close_workbook()

    def _close_workbook(self) -> None:
        self._workbook.close()
        self.closed = True

    def __enter__(self) -> SheetRows:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _data_rows(self, raw: Iterator[RawRow]) -> Generator[SheetRow, None, None]:
        width, count, blank_run = len(self.headers), 0, 0
        try:
            for number, values in raw:
                row = values[:width]
                if _blank(row):
                    blank_run += 1
                    if blank_run >= BLANK_RUN_ENDS_SHEET:
                        return
                    continue
                blank_run = 0
                if self.layout.is_example(row):
                    continue
                count += 1
                if count > self._max_rows:  # met while streaming: the caller discards what it read
                    raise SheetError("too_many_rows", f"一次最多导入 {self._max_rows} 行，请分成几个文件上传",
                                     f"At most {self._max_rows} rows can be imported at once")
                yield self.layout.row(number, row)
        finally:
            self._close_workbook()


def _blank(values: tuple[Any, ...]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


class _Deadline:
    def __init__(self, clock: Clock, seconds: float) -> None:
        self._clock, self._seconds = clock, seconds
        self._end = clock() + seconds

    def check(self) -> None:
        if self._clock() > self._end:
            seconds = round(self._seconds)
            raise SheetError("sheet_too_slow",
                             f"该文件 {seconds} 秒内未能读完：请删除数据下方的空白行和右侧多余的列（或清除其格式），"
                             "行数很多时分成几个文件后再上传",
                             f"The workbook could not be read within {seconds} s: delete the blank rows below and "
                             "the columns right of the data (or clear their formatting), and split a long sheet "
                             "into several files")


def _raw_rows(workbook: Workbook, deadline: _Deadline) -> Iterator[RawRow]:
    if not workbook.worksheets:
        raise not_an_xlsx()
    sheet: Any = workbook.worksheets[0]
    sheet.reset_dimensions()  # the declared size may be wrong: read the rows that are there
    rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    number = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a damaged sheet shows only when its XML is parsed
            raise not_an_xlsx() from exc
        deadline.check()
        number += 1
        yield number, values


def _seekable(source: BinaryIO | bytes) -> BinaryIO:
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    return source if source.seekable() else io.BytesIO(source.read())

