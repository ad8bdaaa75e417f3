"""The error copy of an Excel import (R10): the failed rows as uploaded, with where they were and why they failed."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from realname_registry.excel import WORKER_COLUMNS, ErrorCopy, SheetRow, read_rows

HEADERS = [c.header for c in WORKER_COLUMNS]
VALID = dict(zip(HEADERS, [
    "李四", "男", "汉族", "1990-01-02", "上海市黄浦区中山南路1号", "31010119900102123X", "上海市公安局黄浦分局",
    "2020-01-01", "长期", "13912345678", "临时", "HT-001", "2025-03-01", "2026-02-28", "按日计薪", "350", None, None,
    None, "中国建设银行", "6217001234567890123", "钢筋工", "钢筋一班"], strict=True))


def xlsx(*rows: list[Any]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rows_of(data: bytes) -> list[tuple[Any, ...]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def test_the_error_copy_holds_exactly_the_failed_rows_with_their_row_numbers_and_reasons() -> None:
    valid = [VALID[h] for h in HEADERS]
    bad_phone = [v if h != "手机号码" else None for h, v in zip(HEADERS, valid, strict=True)]
    bad_dates = [v if h not in ("出生日期", "合同结束日期") else "明天" for h, v in zip(HEADERS, valid, strict=True)]
    upload = xlsx([*HEADERS, "备注"], valid, [*bad_phone, "补录"], valid, bad_dates)
    rows = read_rows(upload, "workers")
    copy = ErrorCopy(rows.headers)
    for row in rows:
        if row.errors:
            copy.add(row, row.reasons_zh())

    header, *failed = rows_of(copy.to_bytes())
    assert header == ("原行号", *HEADERS, "备注", "错误原因")
    assert copy.count == len(failed) == 2
    assert failed[0] == (3, *bad_phone, "补录", "手机号码：必填，不能为空")
    assert failed[1][:-1] == (5, *bad_dates, None)
    assert failed[1][-1].split("；") == [f"{column}：日期无法识别，请写成 2024-01-31 这样的日期"
                                        for column in ("出生日期", "合同结束日期")]


def test_cells_keep_their_kind_and_text_that_looks_like_a_formula_stays_text() -> None:
    copy = ErrorCopy(["姓名", "出生日期", "日工资"])
    copy.add(SheetRow(7, ("=HYPERLINK(\"http://x\")", datetime(1990, 1, 2), 350), {}), ["姓名：不对"])
    workbook = load_workbook(io.BytesIO(copy.to_bytes()))
    cells = workbook.worksheets[0][2]
    assert [c.value for c in cells] == [7, "=HYPERLINK(\"http://x\")", datetime(1990, 1, 2), 350, "姓名：不对"]
    assert cells[1].data_type == "s" and cells[2].is_date


def test_a_short_row_is_padded_to_the_header() -> None:
    copy = ErrorCopy(["姓名", "性别", "民族"])
    copy.add(SheetRow(2, ("李四",), {}), ["性别：必填，不能为空", "民族：必填，不能为空"])
    assert rows_of(copy.to_bytes())[1] == (2, "李四", None, None, "性别：必填，不能为空；民族：必填，不能为空")


def test_an_error_copy_without_failures_has_only_its_header_and_is_written_once() -> None:
    copy = ErrorCopy(HEADERS)
    data = copy.to_bytes()
    assert copy.count == 0 and rows_of(data) == [("原行号", *HEADERS, "错误原因")]
    assert copy.to_bytes() == data
    with pytest.raises(RuntimeError):
        copy.add(SheetRow(2, ("李四",), {}), ["性别：必填，不能为空"])
