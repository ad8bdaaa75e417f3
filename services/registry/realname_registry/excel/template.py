"""The import templates (R10): header row, an example row, drop-downs of the coded columns, instructions in Chinese."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from realname_codes.banks import BANKS
from realname_codes.ethnicities import ETHNICITIES
from realname_codes.trades import TRADES
from realname_registry.excel.choices import dropdowns
from realname_registry.excel.columns import EXAMPLE_ID_NUMBER, Column, Kind, SheetKind, columns_for
from realname_registry.excel.reader import MAX_ROWS

INSTRUCTIONS = "填写说明"
CODE_LISTS = "代码表"
_WIDTHS: dict[Kind, int] = {"id_number": 22, "card_number": 24, "text": 16, "phone": 14, "date": 13,
                            "date_or_long": 13, "ethnicity": 10, "wage_type": 18, "bank": 18, "trade": 20}
_FORMATS: dict[Kind, str] = {"text": "@", "id_number": "@", "phone": "@", "card_number": "@",  # keep every digit
                             "date": "yyyy-mm-dd", "date_or_long": "yyyy-mm-dd", "money": "0.00"}
_CLOSED_LISTS = frozenset({"sex", "worker_type", "wage_type", "yes_no"})  # anything else typed is refused
_EXAMPLE: dict[str, Any] = {
    "identity.name": "王芳", "identity.sex": "女", "identity.ethnicity": ETHNICITIES["01"],
    "identity.birth_date": date(1949, 12, 31), "identity.address": "北京市朝阳区示例路1号",
    "identity.id_number": EXAMPLE_ID_NUMBER, "identity.issuing_authority": "北京市公安局朝阳分局",
    "identity.valid_from": date(2020, 1, 1), "identity.valid_to": "长期", "phone": "13800138000",
    "employment.worker_type": "长期", "employment.contract_number": "HT-2025-001",
    "employment.contract_start": date(2025, 3, 1), "employment.contract_end": date(2026, 2, 28),
    "employment.wage_type": "月基本工资加绩效", "employment.base_wage": 4500, "employment.probation_wage": 4000,
    "employment.performance_payouts_per_year": 3, "employment.bank_code": BANKS["102"],
    "employment.wage_card_number": "6222021001122334458", "employment.trade_code": TRADES["010"],
    "employment.team_name": "砌筑一班", "team_leader": "否",
}
_NOTES = (
    f"第 2 行是示例（身份证号码 {EXAMPLE_ID_NUMBER}），导入时自动跳过，可保留也可删除。",
    "列的顺序可以调整；本表以外的列不会读取；空行自动跳过；一个文件最多 50000 行。",
    "身份证号码、手机号码、工资卡号等列已设为文本格式，请勿改为数字：Excel 会把 15 位以后的数字变成 0。"
    "从别处复制时请用“选择性粘贴 → 值”。",
    "日期可写成 2024-01-31、2024/1/31、2024.01.31、20240131 或 2024年1月31日。",
    "身份证长期有效的，“有效期止”写 长期。",
    "工资类型：临时工按日计薪，须填日工资。",  # R7
    "长期工可按日计薪（按月结算出勤天数的工资），须填日工资；或月基本工资加绩效，须填基本工资"
    "（上海基准 4500 元/月）和绩效发放次数（每年至少 3 次：春季、秋季、春节）。",
    "工资卡银行从下拉列表选择；列表中没有的银行直接写银行全称，按“其他”登记。",
)
_TEAM_NOTE = "按班组导入：班组在上传时选择，本表不填班组；“是否班组长”一列须有且只有一人填 是。"


def template_workbook(kind: SheetKind) -> bytes:
    columns = columns_for(kind)
    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.title = "班组工人" if kind == "team" else "工人信息"
    _header(sheet, columns)
    _example(sheet, columns)
    _instructions(workbook.create_sheet(INSTRUCTIONS), columns, kind)
    lists = workbook.create_sheet(CODE_LISTS)
    lists.sheet_state = "hidden"
    _dropdowns(sheet, lists, columns)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _header(sheet: Any, columns: tuple[Column, ...]) -> None:
    for index, column in enumerate(columns, 1):
        cell = sheet.cell(1, index, column.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = max(_WIDTHS.get(column.kind, 12), 2 * len(column.header) + 4)
        if column.kind in _FORMATS:
            dimension.number_format = _FORMATS[column.kind]  # the format of cells typed into the column later
    sheet.freeze_panes = "A2"


def _example(sheet: Any, columns: tuple[Column, ...]) -> None:
    grey = Font(italic=True, color="808080")
    for index, column in enumerate(columns, 1):
        cell = sheet.cell(2, index, _EXAMPLE.get(column.key))
        cell.font = grey
        cell.number_format = _FORMATS.get(column.kind, "General")


def _instructions(sheet: Any, columns: tuple[Column, ...], kind: SheetKind) -> None:
    sheet.append(["列名", "是否必填", "填写说明"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in columns:
        sheet.append([column.header, "必填" if column.required else "选填", column.note])
    sheet.append([])
    for note in (*_NOTES, _TEAM_NOTE) if kind == "team" else _NOTES:
        sheet.append([note])
    for letter, width in (("A", 16), ("B", 10), ("C", 70)):
        sheet.column_dimensions[letter].width = width


def _dropdowns(sheet: Any, lists: Any, columns: tuple[Column, ...]) -> None:
    choices = dropdowns()
    coded = [(index, column) for index, column in enumerate(columns, 1) if column.kind in choices]
    for list_index, (index, column) in enumerate(coded, 1):
        values = choices[column.kind]
        lists.cell(1, list_index, column.header)
        for row, value in enumerate(values, 2):
            lists.cell(row, list_index, value)
        source = get_column_letter(list_index)
        rule = DataValidation(type="list", allow_blank=True,
                              formula1=f"{quote_sheetname(CODE_LISTS)}!${source}$2:${source}${len(values) + 1}")
        rule.showErrorMessage = column.kind != "bank"  # R8: a bank off the list is typed by name
        rule.errorStyle = "stop" if column.kind in _CLOSED_LISTS else "warning"
        rule.error = "请从下拉列表中选择"
        letter = get_column_letter(index)
        rule.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(rule)
