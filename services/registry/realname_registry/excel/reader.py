"""Reading an uploaded import sheet row by row (R10), streamed: memory stays flat however long the sheet."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Generator, Iterator
from types import TracebackType
from typing import Any, BinaryIO

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from realname_registry.excel.columns import SheetKind, columns_for
from realname_registry.excel.layout import RawRow, find_header
from realname_registry.excel.model import SheetError, SheetRow

MAX_ROWS = 50_000
MAX_COLUMNS = 200  # columns further right are ignored: nobody fills more, and a row stays small
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024  # ~3x what 50,000 full rows take: refuses zip bombs before parsing
MAX_ZIP_MEMBERS = 1_000


def _not_an_xlsx() -> SheetError:
    return SheetError("not_an_xlsx", "无法读取该文件：请上传用导入模板填写的 Excel 文件（.xlsx）",
                      "The file is not a readable .xlsx workbook")


def read_rows(source: BinaryIO | bytes, kind: SheetKind, *, max_rows: int = MAX_ROWS) -> SheetRows:
    """The data rows of the first sheet; raises SheetError at once when the file or its header is unusable.

    Iterate to the end, or call ``close()`` (or use ``with``): the workbook is closed then, and on any error.
    """
    buffer = _seekable(source)
    _refuse_bombs(buffer)
    try:
        workbook = load_workbook(buffer, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises anything from BadZipFile to KeyError on a file it cannot read
        raise _not_an_xlsx() from exc
    try:
        return SheetRows(workbook, kind, max_rows)
    except BaseException:
        workbook.close()
        raise


class SheetRows(Iterator[SheetRow]):
    """The non-empty data rows, the template's example row left out; ``headers`` is the header row as written."""

    def __init__(self, workbook: Workbook, kind: SheetKind, max_rows: int = MAX_ROWS) -> None:
        self._workbook = workbook
        self._max_rows = max_rows
        self.closed = False
        raw = _raw_rows(workbook)
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
        width, count = len(self.headers), 0
        try:
            for number, values in raw:
                row = values[:width]
                if _blank(row) or self.layout.is_example(row):
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


def _raw_rows(workbook: Workbook) -> Iterator[RawRow]:
    if not workbook.worksheets:
        raise _not_an_xlsx()
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
            raise _not_an_xlsx() from exc
        number += 1
        yield number, values


def _seekable(source: BinaryIO | bytes) -> BinaryIO:
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    return source if source.seekable() else io.BytesIO(source.read())


def _refuse_bombs(buffer: BinaryIO) -> None:
    try:
        with zipfile.ZipFile(buffer) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _not_an_xlsx() from exc
    finally:
        buffer.seek(0)
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        raise _not_an_xlsx()
