"""Trades (工种) of the national platform data standard, and which of them count as high-risk (R34)."""

from __future__ import annotations

TRADES: dict[str, str] = {
    "010": "砌筑工",
    "020": "钢筋工",
    "030": "架子工",
    "040": "混凝土工",
    "050": "模板工",
    "060": "机械设备安装工",
    "070": "通风工",
    "080": "安装起重工",
    "090": "安装钳工",
    "100": "电气设备安装调试工",
    "110": "管道工",
    "120": "变电安装工",
    "130": "建筑电工",
    "140": "司泵工",
    "150": "挖掘铲运和桩工机械司机",
    "160": "桩机操作工",
    "170": "起重信号工",
    "180": "建筑起重机械安装拆卸工",
    "190": "装饰装修工",
    "200": "室内成套设施安装工",
    "210": "建筑门窗幕墙安装工",
    "220": "幕墙制作工",
    "230": "防水工",
    "240": "木工",
    "250": "石工",
    "270": "电焊工",
    "280": "爆破工",
    "290": "除尘工",
    "300": "测量放线工",
    "310": "线路架设工",
    "900": "管理人员",
}

MANAGEMENT_TRADE = "900"  # R36: management staff, kept apart from the worker workflow

HIGH_RISK_TRADES: frozenset[str] = frozenset({"030", "080", "130", "150", "160", "170", "180", "270", "280", "310"})
"""Trades closed to men over 55 and women over 45 (R34).

The Shanghai rule names no list, so this follows what Chinese practice treats as special operations
(特种作业), the work that needs an operation certificate because a mistake kills: the construction
special operations of the Ministry of Housing (建筑施工特种作业: 建筑电工, 建筑架子工, 起重信号司索工,
起重机械司机, 起重机械安装拆卸工) and of the work-safety authority (特种作业目录: 电工, 焊接与热切割,
高处作业, 爆破). Mapped to trades: work at height (架子工, 线路架设工), lifting (安装起重工, 起重信号工,
建筑起重机械安装拆卸工), heavy machinery (挖掘铲运和桩工机械司机, 桩机操作工), electricity (建筑电工),
welding (电焊工) and explosives (爆破工).
"""
