"""Excel workbooks as employers fill them in: the template's headers, one row per registration body."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from realname_codes.banks import BANKS
from realname_codes.trades import TRADES
from realname_registry.excel import columns_for

_SEX = {"male": "男", "female": "女"}
_WORKER_TYPE = {"temporary": "临时", "long_term": "长期"}
_WAGE_TYPE = {"daily": "按日计薪", "monthly_base_plus_performance": "月基本工资加绩效"}


def cell_value(body: dict[str, Any], key: str, team_name: str | None) -> Any:
    if key == "employment.team_name":
        return team_name
    if key == "team_leader":
        return "是" if body.get("team_leader") else "否"
    section, _, name = key.partition(".")
    value = body.get(section) if not name else (body.get(section) or {}).get(name)
    converted = {"identity.sex": _SEX, "employment.worker_type": _WORKER_TYPE, "employment.wage_type": _WAGE_TYPE,
                 "employment.bank_code": BANKS, "employment.trade_code": TRADES}.get(key)
    if key == "identity.ethnicity":
        return "汉族" if value == "01" else value
    if key == "identity.valid_to" and value is None:
        return "长期"
    return converted.get(value, value) if converted and value is not None else value


def workbook(bodies: Sequence[dict[str, Any]], *, kind: str = "workers", team_name: str | None = None) -> bytes:
    columns = columns_for("team" if kind == "team" else "workers")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([c.header for c in columns])
    for body in bodies:
        sheet.append([cell_value(body, c.key, team_name) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def padded(content: bytes, blank_rows: int, *, numbered: bool = True) -> bytes:
    """The workbook with formatted blank rows below its data: numbered as Excel writes a sheet formatted down
    to some far row (the XML packs ~20 to 1), or unnumbered, all alike, as only a generator writes them (it
    packs ~1,000 to 1: a zip bomb)."""
    sheet = "xl/worksheets/sheet1.xml"
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as padded_book:
        for name in source.namelist():
            data = source.read(name)
            if name == sheet:
                xml = data.decode()
                first = xml.count("<row ") + 1
                blank = ('<row r="{}" spans="1:20" s="1" customFormat="1"/>' if numbered
                         else '<row spans="1:20" s="1" customFormat="1"/>')
                rows = "".join(blank.format(r) for r in range(first, first + blank_rows))
                data = xml.replace("</sheetData>", rows + "</sheetData>").encode()
            padded_book.writestr(name, data)
    return out.getvalue()
