"""What the bridge knows of one polling device's health, and when to tell the platform (gate.reported).

A PUSH device is only heard when it calls: every request is contact; silence for ``offline_after_s`` is offline.
Counts and firmware come from the ``INFO=`` of its polls. Its clock is read from real-time punches: with
``Realtime=1`` a device that has been polling uploads a lone recognition within seconds, so that record's time
minus our time is its clock's offset (cached batches after an outage are not used: they are old by nature).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from realname_codes.gate_protocol import CLOCK_TOLERANCE_S, ZKTECO_PUSH, Punch, Report
from realname_edge.gates.driver import Finding
from realname_edge.gates.zkteco.lines import DeviceInfo

REPORT_EVERY_S = 30.0
MIN_PUSH_VERSION = (2, 4)  # BIOPHOTO (face photos) came with PUSH 2.4; older firmware cannot take our faces


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


@dataclass(slots=True)
class DeviceHealth:
    serial: str
    model: str = ""
    last_contact: float | None = None  # monotonic seconds
    report: Report = field(default_factory=lambda: Report(device="", contact_at="", kind=ZKTECO_PUSH))
    push_version: str = ""
    full: bool = False
    refused_unsupported: bool = False
    last_sent: Report | None = None
    last_sent_at: float = 0.0

    def contact(self, now: float, info: DeviceInfo | None, steady_within_s: float) -> bool:
        """Heard from it now; True when it had called within ``steady_within_s`` already (polling steadily, not
        back from an outage with a cache to flush)."""
        was_polling = self.polling(now, steady_within_s) and bool(self.report.online)
        self.last_contact = now
        self.report = replace(self.report, device=self.serial, kind=ZKTECO_PUSH, online=True, model=self.model,
                              contact_at=datetime.now(UTC).isoformat(timespec="seconds"))
        if info is not None:
            self.report = replace(self.report, firmware=info.firmware,
                                  people=info.people if info.people is not None else self.report.people,
                                  faces=info.faces if info.faces is not None else self.report.faces)
        self._set_problem()
        return was_polling

    def polling(self, now: float, within_s: float) -> bool:
        return self.last_contact is not None and now - self.last_contact < within_s

    def clock_from(self, punches: list[Punch]) -> None:
        if len(punches) == 1:
            at = datetime.fromisoformat(punches[0].at)
            self.report = replace(self.report, clock_offset_s=round((at - datetime.now(UTC)).total_seconds(), 1))
            self._set_problem()

    def note_outcome(self, reason: str | None, done: bool) -> None:
        """A refusal tells us what its INFO does not: full, or a firmware without what we asked."""
        if reason == "device_full":
            self.full = True
        elif reason == "not_supported":
            self.refused_unsupported = True
        elif done:
            self.full = False
        self._set_problem()

    def due(self, now: float, every_s: float = REPORT_EVERY_S) -> Report | None:
        """A report to send now: on every change, and every ``every_s`` while it polls."""
        changed = self.last_sent is None or replace(self.report, contact_at="") != replace(self.last_sent,
                                                                                           contact_at="")
        if not changed and now - self.last_sent_at < every_s:
            return None
        self.last_sent, self.last_sent_at = self.report, now
        return self.report

    def lost(self, now: float, offline_after_s: float) -> Report | None:
        """Offline once it has been silent that long: one report, on the change."""
        if self.last_contact is None or not self.report.online or self.polling(now, offline_after_s):
            return None
        self.report = replace(self.report, online=False, problem="not_polling")
        self.last_sent, self.last_sent_at = self.report, now
        return self.report

    def findings(self, now: float, offline_after_s: float) -> list[Finding]:
        found: list[Finding] = []
        if not self.polling(now, offline_after_s):
            since = "never" if self.last_contact is None else f"not for {now - self.last_contact:.0f} s"
            found.append(Finding(self.serial, "not_polling",
                                 f"The terminal has called the bridge {since}: check its network and that its "
                                 "server setting (Cloud Server / ADMS) names this bridge's address and port.",
                                 "该考勤机没有按时连接桥接器：请检查网络，并在设备“云服务器设置”中填写本桥接器的地址和端口。"))
        offset = self.report.clock_offset_s
        if offset is not None and abs(offset) > CLOCK_TOLERANCE_S:
            found.append(Finding(self.serial, "clock_off",
                                 f"The terminal's clock is {offset:+.0f} s off: set the date and time in its menu "
                                 "(Settings > Date/Time); punches carry its clock.",
                                 f"该考勤机时钟偏差 {offset:+.0f} 秒：请在设备菜单“日期时间”中校准，"
                                 "考勤记录以设备时钟为准。"))
        if self.full:
            found.append(Finding(self.serial, "full", "The terminal refused a person or face as full: remove people "
                                 "who left, or use a model with more capacity.",
                                 "该考勤机人员或人脸已满：请删除已退场人员，或换用容量更大的设备。"))
        if self._unsupported():
            found.append(Finding(self.serial, "unsupported_firmware",
                                 f"The terminal's firmware ({self.report.firmware or '?'}, PUSH "
                                 f"{self.push_version or '?'}) cannot take face photos over PUSH: upgrade it to "
                                 "PUSH 2.4 or later.",
                                 "该考勤机固件不支持通过 PUSH 下发人脸照片：请升级到 PUSH 2.4 或更高版本。"))
        return found

    def _unsupported(self) -> bool:
        old = bool(self.push_version) and version_tuple(self.push_version)[:2] < MIN_PUSH_VERSION
        return old or self.refused_unsupported

    def _set_problem(self) -> None:
        offset = self.report.clock_offset_s
        problem = ("unsupported_firmware" if self._unsupported() else "full" if self.full
                   else "clock_off" if offset is not None and abs(offset) > CLOCK_TOLERANCE_S else None)
        self.report = replace(self.report, problem=problem)
