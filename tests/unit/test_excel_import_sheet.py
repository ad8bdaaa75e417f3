"""The Excel import sheet (R10): templates, and uploaded sheets read row by row into registration bodies."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from realname_registry.excel import (
    EXAMPLE_ID_NUMBER,
    TEAM_COLUMNS,
    WORKER_COLUMNS,
    SheetError,
    SheetRow,
    read_rows,
    template_workbook,
)
from realname_registry.excel.cells import LOST_DIGITS

HEADERS = [c.header for c in WORKER_COLUMNS]
VALID: dict[str, Any] = {
    "姓名": "李四", "性别": "男", "民族": "汉族", "出生日期": "1990-01-02", "住址": "上海市黄浦区中山南路1号",
    "身份证号码": "31010119900102123X", "签发机关": "上海市公安局黄浦分局", "有效期起": "2020-01-01",
    "有效期止": "2040-01-01", "手机号码": "13912345678", "用工类型": "长期", "劳动合同编号": "HT-001",
    "合同开始日期": "2025-03-01", "合同结束日期": "2026-02-28", "工资类型": "月基本工资加绩效", "日工资": None,
    "基本工资": "4500", "试用期工资": "4000", "绩效发放次数": "3", "工资卡银行": "中国建设银行",
    "工资卡号": "6217001234567890123", "工种": "钢筋工", "班组": "钢筋一班",
}
VALID_BODY = {
    "identity": {
        "name": "李四", "sex": "male", "ethnicity": "01", "birth_date": date(1990, 1, 2),
        "address": "上海市黄浦区中山南路1号", "id_number": "31010119900102123X",
        "issuing_authority": "上海市公安局黄浦分局", "valid_from": date(2020, 1, 1), "valid_to": date(2040, 1, 1),
    },
    "phone": "13912345678",
    "employment": {
        "worker_type": "long_term", "contract_number": "HT-001", "contract_start": date(2025, 3, 1),
        "contract_end": date(2026, 2, 28), "wage_type": "monthly_base_plus_performance", "daily_wage": None,
        "base_wage": Decimal("4500.00"), "probation_wage": Decimal("4000.00"), "performance_payouts_per_year": 3,
        "bank_code": "105", "wage_card_number": "6217001234567890123", "trade_code": "020", "team_name": "钢筋一班",
    },
}


def xlsx(*rows: list[Any], write_only: bool = False) -> bytes:
    workbook = Workbook(write_only=write_only)
    worksheet = workbook.create_sheet() if write_only else workbook.active
    for row in rows:
        worksheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def sheet(headers: list[str] = HEADERS, /, **cells: Any) -> bytes:
    """A header row and one data row: the valid worker, with the cells given changed."""
    values = VALID | cells
    return xlsx(headers, [values.get(h) for h in headers])


def read_one(data: bytes, kind: Any = "workers") -> SheetRow:
    rows = list(read_rows(data, kind))
    assert len(rows) == 1
    return rows[0]


def errors(row: SheetRow) -> dict[str, str]:
    return {e.column_header: e.message_zh for e in row.errors}


def refusal(data: bytes, kind: Any = "workers", **options: Any) -> SheetError:
    with pytest.raises(SheetError) as caught:
        list(read_rows(data, kind, **options))
    return caught.value


def filled_template(kind: Any, *rows: list[Any]) -> bytes:
    workbook = load_workbook(io.BytesIO(template_workbook(kind)))
    for row in rows:
        workbook.worksheets[0].append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- templates ---------------------------------------------------------------------------------------------


def test_the_worker_columns_are_in_the_documented_order() -> None:
    assert HEADERS == ["姓名", "性别", "民族", "出生日期", "住址", "身份证号码", "签发机关", "有效期起", "有效期止",
                       "手机号码", "用工类型", "劳动合同编号", "合同开始日期", "合同结束日期", "工资类型", "日工资",
                       "基本工资", "试用期工资", "绩效发放次数", "工资卡银行", "工资卡号", "工种", "班组"]
    assert [c.header for c in TEAM_COLUMNS] == [*HEADERS[:-1], "是否班组长"]


def test_the_workers_template_filled_with_one_row_reads_as_its_registration_body() -> None:
    data = filled_template("workers", [VALID[h] for h in HEADERS])
    row = read_one(data)
    assert (row.number, row.errors, row.body) == (3, [], VALID_BODY)  # row 2, the example, is skipped


def test_the_team_template_reads_the_leader_mark_and_has_no_team_column() -> None:
    headers = [c.header for c in TEAM_COLUMNS]
    data = filled_template("team", [VALID.get(h, "是") for h in headers], [VALID.get(h) for h in headers])
    leader, member = read_rows(data, "team")
    assert (leader.errors, member.errors) == ([], [])
    assert (leader.body["team_leader"], member.body["team_leader"]) == (True, False)
    assert "team_name" not in leader.body["employment"]


def test_the_template_keeps_long_numbers_as_text_and_offers_drop_downs_from_a_hidden_sheet() -> None:
    workbook = load_workbook(io.BytesIO(template_workbook("team")))
    sheet_, instructions, codes = workbook.worksheets
    letters = {cell.value: cell.column_letter for cell in sheet_[1]}
    assert sheet_.freeze_panes == "A2" and sheet_["A1"].font.b
    text_columns = [letters[h] for h in ("身份证号码", "手机号码", "工资卡号")]
    assert all(sheet_.column_dimensions[letter].number_format == "@" for letter in text_columns)
    assert sheet_[f"{letters['身份证号码']}2"].value == EXAMPLE_ID_NUMBER and sheet_["A2"].font.i
    validated = {str(rule.sqref).split(":")[0].rstrip("0123456789"): rule.formula1
                 for rule in sheet_.data_validations.dataValidation}
    coded = ("性别", "民族", "用工类型", "工资类型", "工资卡银行", "工种", "是否班组长")
    assert set(validated) == {letters[h] for h in coded}
    assert codes.sheet_state == "hidden" and instructions.title == "填写说明"
    first, last = validated[letters["工种"]].split("!")[1].replace("$", "").split(":")
    assert (codes[first].value, codes[last].value) == ("砌筑工", "管理人员")


def test_the_template_explains_every_column_and_the_wage_rules() -> None:
    instructions = load_workbook(io.BytesIO(template_workbook("workers")))["填写说明"]
    text = "\n".join(str(v) for row in instructions.iter_rows(values_only=True) for v in row if v)
    assert all(h in text for h in HEADERS)
    assert all(word in text for word in ("长期", "2024/1/31", "按日计薪", "4500", "至少 3 次", EXAMPLE_ID_NUMBER))


# --- finding the columns -----------------------------------------------------------------------------------


def test_columns_are_found_in_any_order_below_a_title_with_extra_columns_ignored() -> None:
    headers = ["备注", *reversed(HEADERS), "籍贯"]
    data = xlsx(["2025 年 3 月进场工人花名册"], [], headers, [VALID.get(h, "无关") for h in headers])
    row = read_one(data)
    assert (row.number, row.errors, row.body) == (4, [], VALID_BODY)


def test_headers_written_with_spaces_full_width_brackets_or_required_marks_are_recognised() -> None:
    headers = [f" {h[0]} {h[1:]}（必填）" if i % 2 else f"*{h}" for i, h in enumerate(HEADERS)]
    data = xlsx(headers, [VALID[h] for h in HEADERS])
    assert read_one(data).body == VALID_BODY


def test_missing_required_columns_are_named_in_chinese() -> None:
    headers = [h for h in HEADERS if h not in ("身份证号码", "工种", "日工资")]
    error = refusal(sheet(headers))
    assert (error.reason, error.missing) == ("columns_missing", ("身份证号码", "工种"))
    assert "身份证号码、工种" in error.message_zh


def test_a_missing_optional_column_reads_as_no_value() -> None:
    row = read_one(sheet([h for h in HEADERS if h != "日工资"]))
    assert row.errors == [] and row.body["employment"]["daily_wage"] is None


def test_a_sheet_without_a_header_row_is_refused() -> None:
    assert refusal(xlsx(*[["李四", "男"]] * 25)).reason == "header_missing"
    assert refusal(xlsx()).reason == "header_missing"


# --- cells -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["2024-01-31", "2024/1/31", "2024.01.31", "20240131", "2024年1月31日",
                                     " 2024-01-31 00:00:00 ", datetime(2024, 1, 31), date(2024, 1, 31), 20240131,
                                     45322])
def test_each_date_format_reads_as_the_same_day(written: Any) -> None:
    row = read_one(sheet(合同开始日期=written))
    assert row.errors == [] and row.body["employment"]["contract_start"] == date(2024, 1, 31)


@pytest.mark.parametrize("written", ["2024-02-30", "31/01/2024", "明年", "2024-1", 2024.5])
def test_an_impossible_or_unreadable_date_is_a_cell_error(written: Any) -> None:
    row = read_one(sheet(合同开始日期=written))
    assert list(errors(row)) == ["合同开始日期"] and "contract_start" not in row.body["employment"]


@pytest.mark.parametrize("written", ["长期", "长期有效", " 长 期 "])
def test_an_id_card_valid_for_life_has_no_end_date(written: str) -> None:
    row = read_one(sheet(有效期止=written))
    assert row.errors == [] and row.body["identity"]["valid_to"] is None


@pytest.mark.parametrize("stored", [310101199001021000, 3.10101199001021e17])
def test_an_id_number_excel_stored_as_a_number_has_lost_digits(stored: float) -> None:
    assert errors(read_one(sheet(身份证号码=stored))) == {"身份证号码": LOST_DIGITS}


def test_a_card_number_stored_as_a_number_has_lost_digits_but_a_phone_number_is_fine() -> None:
    row = read_one(sheet(工资卡号=6217001234567890000, 手机号码=13912345678))
    assert errors(row) == {"工资卡号": LOST_DIGITS}
    assert row.body["phone"] == "13912345678"


def test_full_width_digits_and_stray_spaces_are_normalised() -> None:
    row = read_one(sheet(姓名="　李四 ", 身份证号码="３１０１０１１９９００１０２１２３ｘ", 手机号码="139 1234 5678",
                         工资卡号="6217 0012 3456 7890 123", 基本工资="４５００"))
    assert row.errors == [] and row.body == VALID_BODY


@pytest.mark.parametrize(("written", "amount"), [("4,500.5", "4500.50"), ("¥4500", "4500.00"), ("4500元", "4500.00"),
                                                 (4500.1, "4500.10"), (0, "0.00"), (450.00000000000006, "450.00")])
def test_money_is_read_to_the_cent(written: Any, amount: str) -> None:
    row = read_one(sheet(基本工资=written))
    assert row.errors == [] and row.body["employment"]["base_wage"] == Decimal(amount)


@pytest.mark.parametrize("written", ["-100", -100, "4500.123", "四千五", "4500$"])
def test_negative_or_unreadable_money_is_a_cell_error(written: Any) -> None:
    assert list(errors(read_one(sheet(基本工资=written)))) == ["基本工资"]


@pytest.mark.parametrize(("cells", "section", "expected"), [
    ({"性别": "女性"}, "identity", {"sex": "female"}),
    ({"民族": "回"}, "identity", {"ethnicity": "03"}),
    ({"民族": 3}, "identity", {"ethnicity": "03"}),
    ({"用工类型": "临时工", "工资类型": "按日计薪", "日工资": 350}, "employment",
     {"worker_type": "temporary", "wage_type": "daily", "daily_wage": Decimal("350.00")}),
    ({"工资类型": "基本工资+绩效"}, "employment", {"wage_type": "monthly_base_plus_performance"}),
    ({"工种": "010"}, "employment", {"trade_code": "010"}),
    ({"工种": 20}, "employment", {"trade_code": "020"}),
    ({"工资卡银行": "工商银行"}, "employment", {"bank_code": "102"}),
    ({"工资卡银行": "308"}, "employment", {"bank_code": "308"}),
    ({"工资卡银行": "其他"}, "employment", {"bank_code": "other"}),
    ({"绩效发放次数": "4次"}, "employment", {"performance_payouts_per_year": 4}),
])
def test_coded_columns_accept_names_codes_and_common_variants(cells: dict[str, Any], section: str,
                                                              expected: dict[str, Any]) -> None:
    row = read_one(sheet(**cells))
    assert row.errors == [] and row.body[section] | expected == row.body[section]
    assert "bank_name" not in row.body["employment"]


def test_an_unlisted_bank_is_other_with_its_name_kept() -> None:
    employment = read_one(sheet(工资卡银行="宁波银行")).body["employment"]
    assert (employment["bank_code"], employment["bank_name"]) == ("other", "宁波银行")  # R8


@pytest.mark.parametrize(("column", "written"), [("工种", "泥瓦匠"), ("工种", "999"), ("性别", "未知"),
                                                 ("民族", "火星族"), ("用工类型", "兼职"), ("工资类型", "计件"),
                                                 ("绩效发放次数", "三次")])
def test_an_unknown_code_is_a_cell_error(column: str, written: str) -> None:
    assert list(errors(read_one(sheet(**{column: written})))) == [column]


def test_a_required_cell_left_empty_is_an_error_while_the_rest_of_the_row_is_read() -> None:
    row = read_one(sheet(手机号码="  ", 工种=None))
    assert errors(row) == {"手机号码": "必填，不能为空", "工种": "必填，不能为空"}
    assert row.reasons_zh() == ["手机号码：必填，不能为空", "工种：必填，不能为空"]
    assert row.body["identity"] == VALID_BODY["identity"] and "phone" not in row.body


def test_empty_rows_are_skipped_and_rows_keep_their_excel_row_numbers() -> None:
    valid = [VALID[h] for h in HEADERS]
    rows = list(read_rows(xlsx(HEADERS, valid, [], [None, " ", ""], valid), "workers"))
    assert [r.number for r in rows] == [2, 5]
    assert rows[0].values == tuple(valid)


# --- refusing the file -------------------------------------------------------------------------------------


def _zip(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


@pytest.mark.parametrize("upload", [
    "姓名,身份证号码\n李四,31010119900102123X\n".encode(),  # a CSV
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),  # an .xls (OLE compound file)
    b"",
    _zip(readme=b"not a workbook"),
    xlsx(HEADERS)[:2000],  # cut short in transit
])
def test_anything_but_an_xlsx_is_refused(upload: bytes) -> None:
    assert refusal(upload).reason == "not_an_xlsx"


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    out = io.BytesIO()
    with (zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
          archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member):
        for _ in range(260):
            member.write(bytes(1 << 20))
    assert len(out.getvalue()) < 2 << 20
    assert refusal(out.getvalue()).reason == "workbook_too_large"


def test_more_rows_than_the_limit_are_refused() -> None:
    valid = [VALID[h] for h in HEADERS]
    data = xlsx(HEADERS, *[valid] * 4)
    assert len(list(read_rows(data, "workers", max_rows=4))) == 4
    error = refusal(data, max_rows=3)
    assert error.reason == "too_many_rows" and "3" in error.message_zh


# --- streaming ---------------------------------------------------------------------------------------------


class CountingFile(io.BytesIO):
    """An upload that counts how much of it has been read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_the_workbook_is_closed_when_reading_ends_fails_or_is_abandoned() -> None:
    valid = [VALID[h] for h in HEADERS]
    finished = read_rows(xlsx(HEADERS, valid), "workers")
    list(finished)
    failed = read_rows(xlsx(HEADERS, valid, valid), "workers", max_rows=1)
    with pytest.raises(SheetError):
        list(failed)
    with read_rows(xlsx(HEADERS, valid, valid), "workers") as abandoned:
        next(abandoned)
    assert (finished.closed, failed.closed, abandoned.closed) == (True, True, True)


def as_excel_writes_it(data: bytes, size: str) -> bytes:
    """The sheet declaring its size up front, as Excel and WPS write it (openpyxl's write-only mode cannot, and
    openpyxl then scans the whole sheet for it on opening)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            body = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<sheetViews>", f'<dimension ref="{size}" /><sheetViews>'.encode(), 1)
            target.writestr(name, body)
    return out.getvalue()


def test_rows_beyond_a_wrongly_declared_sheet_size_are_still_read() -> None:
    valid = [VALID[h] for h in HEADERS]
    data = as_excel_writes_it(xlsx(HEADERS, valid, valid, valid, write_only=True), "A1:W2")
    assert [r.number for r in read_rows(data, "workers")] == [2, 3, 4]


def test_ten_thousand_rows_are_streamed_not_loaded_whole() -> None:
    rows = [[*(VALID[h] for h in HEADERS[:5]), f"3101011990{n:08d}", *(VALID[h] for h in HEADERS[6:])]
            for n in range(10_000)]
    data = as_excel_writes_it(xlsx(HEADERS, *rows, write_only=True), "A1:W10001")
    upload = CountingFile(data)
    reading = read_rows(upload, "workers")
    first = next(reading)
    assert upload.bytes_read < len(data) / 10  # the first row comes before the sheet is read through
    numbers = [first.number, *(r.number for r in reading)]
    assert numbers == list(range(2, 10_002)) and reading.closed
