"""What a terminal says about itself (deviceInfo, counts against capacities, its clock) and what is wrong with it.

``probe`` talks to the device; ``report_of`` and ``findings_of`` are pure, for the bridge's reports and the
doctor's findings.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from realname_codes import gate_protocol as gp
from realname_edge.gates.driver import Finding
from realname_edge.gates.isapi.client import IsapiClient, xml_text

# The oldest firmware the driver is written for. The person-based JSON calls it uses (UserInfo/SetUp,
# FDLib/FDSetUp, UserInfoDetail/Delete with DeleteProcess) came with the DS-K1T "person and face" firmware line;
# older card-based firmware lacks them. V2.0.0 is our conservative floor (override: options["min_firmware"]);
# a device whose capabilities answer notSupport is reported the same way whatever its version says.
MIN_FIRMWARE = "V2.0.0"


@dataclass(frozen=True, slots=True)
class Health:
    model: str
    firmware: str
    people: int | None
    faces: int | None
    people_capacity: int | None
    faces_capacity: int | None
    clock_offset_s: float | None
    supported: bool = True


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def probe(client: IsapiClient) -> Health:
    """Ask the device now (raises Unreachable / CredentialsRefused)."""
    info = client.call("GET", "/ISAPI/System/deviceInfo", as_json=False).xml()
    before = time.time()
    clock = client.call("GET", "/ISAPI/System/time", as_json=False).xml()
    now = (before + time.time()) / 2
    device_time = datetime.fromisoformat(xml_text(clock, "localTime"))
    offset = round(device_time.timestamp() + 0.5 - now, 1)  # + 0.5: the device writes whole seconds, cut down
    count = client.call("GET", "/ISAPI/AccessControl/UserInfo/Count")
    people_caps = client.call("GET", "/ISAPI/AccessControl/UserInfo/capabilities")
    face_caps = client.call("GET", "/ISAPI/Intelligent/FDLib/capabilities")
    counted = (count.body or {}).get("UserInfoCount") or {}
    user_caps = (people_caps.body or {}).get("UserInfo") or {}
    supported = people_caps.status == 200 and face_caps.status == 200
    return Health(model=xml_text(info, "model"), firmware=xml_text(info, "firmwareVersion"),
                  people=_int(counted.get("userNumber")), faces=_int(counted.get("bindFaceUserNumber")),
                  people_capacity=_int(user_caps.get("maxRecordNum")),
                  faces_capacity=_int((face_caps.body or {}).get("FDRecordDataMaxNum")),
                  clock_offset_s=offset, supported=supported)


def firmware_version(text: str) -> tuple[int, ...]:
    """``V3.2.30 build 230101`` → (3, 2, 30); () when it names no version."""
    found = re.search(r"V?(\d+(?:\.\d+)*)", text)
    return tuple(int(part) for part in found.group(1).split(".")) if found else ()


def is_full(health: Health) -> bool:
    return any(n is not None and cap is not None and n >= cap
               for n, cap in ((health.people, health.people_capacity), (health.faces, health.faces_capacity)))


def report_of(serial: str, health: Health | None, problem: str | None = None) -> gp.Report:
    now = datetime.now(UTC).isoformat()
    if health is None:
        return gp.Report(serial, now, online=False, kind=gp.HIKVISION_ISAPI, problem=problem or "unreachable")
    return gp.Report(serial, now, kind=gp.HIKVISION_ISAPI, model=health.model, firmware=health.firmware,
                     people=health.people, faces=health.faces, people_capacity=health.people_capacity,
                     faces_capacity=health.faces_capacity, clock_offset_s=health.clock_offset_s, problem=problem)


def findings_of(serial: str, health: Health, min_firmware: str = MIN_FIRMWARE) -> list[Finding]:
    found: list[Finding] = []
    offset = health.clock_offset_s
    if offset is not None and abs(offset) > gp.CLOCK_TOLERANCE_S:
        found.append(Finding(serial, "clock_off", f"The gate's clock is {offset:+.0f} s off: punches would carry a "
                             "wrong time. The platform sets it (set_time); check the gate's NTP settings.",
                             f"闸机时钟偏差 {offset:+.0f} 秒，考勤时间会出错。平台会下发校时；请检查闸机的 NTP 设置。"))
    if is_full(health):
        found.append(Finding(serial, "full", f"The gate is full ({health.people}/{health.people_capacity} people, "
                             f"{health.faces}/{health.faces_capacity} faces): nobody more can be put on it. "
                             "Remove leavers or use a larger model.",
                             "闸机人员或人脸已满，无法再下发。请删除已离场人员或更换容量更大的设备。"))
    wanted = firmware_version(min_firmware)
    if not health.supported or (wanted and firmware_version(health.firmware) < wanted):
        found.append(Finding(serial, "unsupported_firmware", f"Firmware {health.firmware or '?'} lacks the person "
                             f"and face calls the bridge uses (UserInfo, FDLib): upgrade to {min_firmware} or newer.",
                             f"固件 {health.firmware or '?'} 不支持网桥使用的人员与人脸接口，请升级到 {min_firmware} "
                             "或更新版本。"))
    return found


def unreachable(serial: str, address: str) -> Finding:
    return Finding(serial, "unreachable", f"No answer from the gate at {address}: check its power, network cable "
                   "and IP address, and that the bridge's PC is on the same network.",
                   f"无法连接闸机 {address}：请检查电源、网线和 IP 地址，并确认网桥电脑在同一网络。")


def credentials_refused(serial: str) -> Finding:
    return Finding(serial, "credentials_refused", "The gate refused the user name and password in the bridge's "
                   "file: correct them (the gate's admin account).",
                   "闸机拒绝了网桥配置文件中的用户名或密码，请改为闸机管理员账号的正确密码。")
