"""The code tables of the national data standard: trades, banks and ethnicities, and looking them up by name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_codes.banks import BANKS, OTHER_BANK, bank_by_name
from realname_codes.ethnicities import ETHNICITIES, ethnicity_by_name
from realname_codes.trades import HIGH_RISK_TRADES, MANAGEMENT_TRADE, TRADES

REQUIRED_BANKS = {
    "102": "中国工商银行", "103": "中国农业银行", "104": "中国银行", "105": "中国建设银行", "201": "国家开发银行",
    "202": "中国进出口银行", "203": "中国农业发展银行", "301": "交通银行", "302": "中信银行", "303": "中国光大银行",
    "304": "华夏银行", "305": "中国民生银行", "306": "广发银行", "307": "平安银行", "308": "招商银行",
    "309": "兴业银行", "310": "上海浦东发展银行", "313": "城市商业银行", "314": "农村商业银行", "315": "恒丰银行",
    "316": "浙商银行", "317": "农村合作银行", "318": "渤海银行", "319": "徽商银行", "320": "村镇银行",
    "322": "上海农村商业银行", "325": "上海银行", "402": "农村信用合作社", "403": "中国邮政储蓄银行", "other": "其他",
}


def test_the_trade_table_has_the_thirty_one_national_codes_in_order() -> None:
    assert list(TRADES) == [f"{n:03d}" for n in (*range(10, 260, 10), *range(270, 320, 10), 900)]
    assert (TRADES["010"], TRADES["150"], TRADES["310"]) == ("砌筑工", "挖掘铲运和桩工机械司机", "线路架设工")


def test_management_is_trade_900_and_not_a_high_risk_trade() -> None:
    assert TRADES[MANAGEMENT_TRADE] == "管理人员"
    assert MANAGEMENT_TRADE not in HIGH_RISK_TRADES


def test_the_high_risk_trades_are_the_special_operations() -> None:
    assert {TRADES[code] for code in HIGH_RISK_TRADES} == {
        "架子工", "安装起重工", "建筑电工", "挖掘铲运和桩工机械司机", "桩机操作工", "起重信号工",
        "建筑起重机械安装拆卸工", "电焊工", "爆破工", "线路架设工"}


def test_the_bank_list_holds_every_major_bank_and_other() -> None:
    assert REQUIRED_BANKS.items() <= BANKS.items()
    assert BANKS[OTHER_BANK] == "其他"


@given(bank=st.sampled_from(sorted(BANKS.items())))
def test_a_bank_is_found_by_its_full_name_and_by_its_code(bank: tuple[str, str]) -> None:
    code, name = bank
    assert bank_by_name(name) == code
    assert bank_by_name(f" {code} ") == code


@pytest.mark.parametrize(("text", "code"), [
    ("工商银行", "102"), ("农业银行", "103"), ("建设银行", "105"), ("邮储银行", "403"), ("浦发银行", "310"),
    ("光大银行", "303"), ("民生银行", "305"), ("其它", OTHER_BANK), ("OTHER", OTHER_BANK), ("中国 银行", "104"),
])
def test_a_bank_is_found_by_the_short_name_people_write(text: str, code: str) -> None:
    assert bank_by_name(text) == code


@pytest.mark.parametrize("text", ["工行", "银行", "", "999", "Bank of China"])
def test_an_unknown_bank_name_finds_nothing(text: str) -> None:
    assert bank_by_name(text) is None


def test_the_ethnicity_table_has_the_fifty_six_gb_3304_codes_in_order() -> None:
    assert list(ETHNICITIES) == [f"{n:02d}" for n in range(1, 57)]
    assert len(set(ETHNICITIES.values())) == 56
    assert all(name.endswith("族") for name in ETHNICITIES.values())
    assert [ETHNICITIES[c] for c in ("01", "02", "05", "10", "15", "29", "43", "55", "56")] == [
        "汉族", "蒙古族", "维吾尔族", "朝鲜族", "土家族", "柯尔克孜族", "乌孜别克族", "珞巴族", "基诺族"]


@given(ethnicity=st.sampled_from(sorted(ETHNICITIES.items())))
def test_an_ethnicity_is_found_by_its_name_with_or_without_zu_and_by_its_code(ethnicity: tuple[str, str]) -> None:
    code, name = ethnicity
    assert ethnicity_by_name(name) == code
    assert ethnicity_by_name(name.removesuffix("族")) == code
    assert ethnicity_by_name(code) == code


@pytest.mark.parametrize(("text", "code"), [("汉", "01"), ("土", "30"), ("土家", "15"), (" 回族 ", "03")])
def test_a_short_ethnicity_name_finds_exactly_its_own_code(text: str, code: str) -> None:
    assert ethnicity_by_name(text) == code


@pytest.mark.parametrize("text", ["", "族", "57", "1", "Han", "汉人"])
def test_an_unknown_ethnicity_finds_nothing(text: str) -> None:
    assert ethnicity_by_name(text) is None
