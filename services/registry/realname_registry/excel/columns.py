"""The columns of the two import sheets (R10): workers one by one, and a whole team at once."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

SheetKind = Literal["workers", "team"]
Kind = Literal["text", "id_number", "phone", "card_number", "date", "date_or_long", "money", "count",
               "sex", "ethnicity", "worker_type", "wage_type", "bank", "trade", "yes_no"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # dotted path in the registration body
    header: str
    required: bool  # the column must be present and its cells filled
    kind: Kind
    note: str  # for the instructions sheet
    aliases: tuple[str, ...] = ()  # other headers people write for the same column


_BEFORE_TEAM = (
    Column("identity.name", "姓名", True, "text", "与身份证一致"),
    Column("identity.sex", "性别", True, "sex", "男 或 女"),
    Column("identity.ethnicity", "民族", True, "ethnicity", "如 汉族（也可写 汉 或代码 01）"),
    Column("identity.birth_date", "出生日期", True, "date", "如 1990-01-31"),
    Column("identity.address", "住址", True, "text", "身份证上的住址", ("地址", "身份证住址")),
    Column("identity.id_number", "身份证号码", True, "id_number", "18 位，末位可为 X；本列须为文本格式",
           ("身份证号", "公民身份号码")),
    Column("identity.issuing_authority", "签发机关", True, "text", "如 上海市公安局黄浦分局"),
    Column("identity.valid_from", "有效期起", True, "date", "身份证有效期的开始日期"),
    Column("identity.valid_to", "有效期止", True, "date_or_long", "身份证有效期的结束日期；长期有效的写 长期"),
    Column("phone", "手机号码", True, "phone", "11 位手机号；本列须为文本格式", ("手机号", "手机", "联系电话")),
    Column("employment.worker_type", "用工类型", True, "worker_type", "临时 或 长期"),
    Column("employment.contract_number", "劳动合同编号", True, "text", "", ("合同编号",)),
    Column("employment.contract_start", "合同开始日期", True, "date", ""),
    Column("employment.contract_end", "合同结束日期", True, "date", "必填，劳动合同须有结束日期"),  # R6
    Column("employment.wage_type", "工资类型", True, "wage_type", "按日计薪 或 月基本工资加绩效（见下方说明）"),
    Column("employment.daily_wage", "日工资", False, "money", "元/天；按日计薪时填写"),
    Column("employment.base_wage", "基本工资", False, "money", "元/月；月基本工资加绩效时填写"),
    Column("employment.probation_wage", "试用期工资", False, "money", "元/月"),
    Column("employment.performance_payouts_per_year", "绩效发放次数", False, "count",
           "每年发放绩效的次数；月基本工资加绩效时至少 3 次"),
    Column("employment.bank_code", "工资卡银行", True, "bank", "从下拉列表选择；列表中没有的银行直接写银行全称",
           ("开户银行", "开户行")),
    Column("employment.wage_card_number", "工资卡号", True, "card_number", "本列须为文本格式",
           ("银行卡号", "工资卡号码")),
    Column("employment.trade_code", "工种", True, "trade", "从下拉列表选择（如 砌筑工），也可写工种代码（如 010）"),
)
TEAM_NAME = Column("employment.team_name", "班组", True, "text", "班组名称", ("班组名称",))
TEAM_LEADER = Column("team_leader", "是否班组长", False, "yes_no",
                     "是 或 否（不填即为 否）；每个文件须有且只有一位班组长", ("班组长",))

WORKER_COLUMNS: tuple[Column, ...] = (*_BEFORE_TEAM, TEAM_NAME)
TEAM_COLUMNS: tuple[Column, ...] = (*_BEFORE_TEAM, TEAM_LEADER)  # the team is chosen at upload

# GB 11643-1999's own example number: the template's example row carries it, and the reader skips it.
EXAMPLE_ID_NUMBER = "11010519491231002X"


def columns_for(kind: SheetKind) -> tuple[Column, ...]:
    return TEAM_COLUMNS if kind == "team" else WORKER_COLUMNS


_DECORATION = re.compile(r"^\*+|\*+$|\((必填|选填|可选)\)$")


def normalise_header(text: str) -> str:
    """The header as compared: full-width folded, no whitespace, no required-marks such as ``*`` or （必填）."""
    folded = "".join(unicodedata.normalize("NFKC", text).split())
    return _DECORATION.sub("", folded)


def by_header(columns: tuple[Column, ...]) -> dict[str, Column]:
    index = {normalise_header(alias): column for column in columns for alias in column.aliases}
    return index | {normalise_header(column.header): column for column in columns}
