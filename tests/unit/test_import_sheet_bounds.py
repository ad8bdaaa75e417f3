"""The work of reading an uploaded sheet is bounded (R10): it ends at the real data, a workbook that unpacks
to too much is refused before parsing, and a file that takes too long to read is refused."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook

from realname_registry.excel import WORKER_COLUMNS, SheetError, check_archive, read_rows
from realname_registry.excel.reader import BLANK_RUN_ENDS_SHEET
from tests.support.sheets import padded

HEADERS = [c.header for c in WORKER_COLUMNS]


def person(n: int) -> list[Any]:
    return [f"工人{n}" if h == "姓名" else f"{n}" if h == "劳动合同编号" else None for h in HEADERS]


def xlsx(*rows: list[Any], dimension: str | None = None) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue() if dimension is None else _declaring(out.getvalue(), dimension)


def _declaring(content: bytes, dimension: str) -> bytes:
    """The workbook with its first sheet declaring ``dimension`` (its <dimension ref>), whatever it holds."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                start = xml.index("<dimension ref=\"") + len("<dimension ref=\"")
                data = (xml[:start] + dimension + xml[xml.index("\"", start):]).encode()
            target.writestr(name, data)
    return out.getvalue()


def names(content: bytes, **options: Any) -> list[str]:
    return [row.values[HEADERS.index("姓名")] for row in read_rows(content, "workers", **options)]


def refusal(content: bytes, **options: Any) -> SheetError:
    with pytest.raises(SheetError) as caught:
        list(read_rows(content, "workers", **options))
    return caught.value


def test_a_run_of_a_thousand_blank_rows_ends_the_sheet() -> None:
    blank: list[Any] = [None] * len(HEADERS)
    content = xlsx(HEADERS, person(1), *[blank] * BLANK_RUN_ENDS_SHEET, person(2))
    assert BLANK_RUN_ENDS_SHEET == 1_000
    assert names(content) == ["工人1"]


def test_a_few_blank_rows_between_blocks_of_rows_do_not_end_it() -> None:
    blank: list[Any] = [None] * len(HEADERS)
    content = xlsx(HEADERS, person(1), *[blank] * (BLANK_RUN_ENDS_SHEET - 1), person(2), [" "] * 3, person(3))
    assert names(content) == ["工人1", "工人2", "工人3"]


def test_a_sheet_formatted_down_to_row_200001_reads_its_real_rows_in_a_fraction_of_a_second() -> None:
    content = padded(xlsx(HEADERS, *[person(n) for n in range(20)]), 200_000)
    assert len(content) < 1_000_000  # a few hundred KB that unpack to a 10 MB sheet
    started = time.monotonic()
    assert len(names(content)) == 20
    assert time.monotonic() - started < 3.0  # reading every blank row took 16 s


def test_a_declared_dimension_is_trusted_neither_way() -> None:
    far = xlsx(HEADERS, person(1), person(2), dimension="A1:XFD1048576")
    short = xlsx(HEADERS, person(1), person(2), person(3), dimension="A1:B2")
    assert names(far) == ["工人1", "工人2"] and names(short) == ["工人1", "工人2", "工人3"]


def test_a_workbook_that_packs_a_thousand_to_one_is_refused_before_it_is_parsed() -> None:
    bomb = padded(xlsx(HEADERS, person(1)), 400_000, numbered=False)
    assert len(bomb) < 200_000
    refused = refusal(bomb)
    assert refused.reason == "workbook_too_large" and "空白行" in refused.message_zh
    with pytest.raises(SheetError):
        check_archive(io.BytesIO(bomb))


def test_a_real_workbook_of_many_rows_is_not_taken_for_a_bomb() -> None:
    content = xlsx(HEADERS, *[[f"{header}{n}" for header in HEADERS] for n in range(3_000)])
    sheet = zipfile.ZipFile(io.BytesIO(content)).getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size > 1024 * 1024  # large enough for its ratio to count
    check_archive(io.BytesIO(content))


def ticking(seconds_per_look: float) -> Callable[[], float]:
    """A clock that moves on by ``seconds_per_look`` each time it is read."""
    now = [0.0]

    def clock() -> float:
        now[0] += seconds_per_look
        return now[0]
    return clock


def test_a_file_that_takes_longer_than_its_time_to_read_is_refused_saying_what_to_do() -> None:
    content = xlsx(HEADERS, *[person(n) for n in range(50)])
    refused = refusal(content, max_seconds=30, clock=ticking(1.0))
    assert refused.reason == "sheet_too_slow" and "30 秒" in refused.message_zh and "空白行" in refused.message_zh
    assert len(names(content, max_seconds=30, clock=ticking(0.1))) == 50
