"""One ZKTeco PUSH terminal as the bridge drives it: commands wait for its polls, its answers become our messages.

The terminal calls in (``ZkPushServer`` routes each request here by its ``SN``); the driver never calls it. Options
from the bridge's file: ``timezone`` (hours east of UTC the terminal keeps, default 8), ``delay`` (poll seconds,
2-60, default 10), ``encoding`` (of names; default: GB2312 when the handshake says ``language=83``, Simplified
Chinese, else UTF-8), ``model``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from realname_codes.gate_protocol import DIGEST, DONE, ENROL, OFFLINE_AFTER_S, REVOKE, Ack, Command
from realname_edge.gates.driver import Finding, GateConfig, GateSink
from realname_edge.gates.zkteco import lines
from realname_edge.gates.zkteco.health import REPORT_EVERY_S, DeviceHealth
from realname_edge.gates.zkteco.queue import DeviceQueue
from realname_edge.gates.zkteco.steps import steps_for

log = logging.getLogger(__name__)
# GB18030 writes every GB2312 character with GB2312's own bytes, and a rare one (堃, 喆…) still as something.
CHINESE_ENCODING = "gb18030"


class ZkDriver:
    def __init__(self, config: GateConfig, *, offline_after_s: float = OFFLINE_AFTER_S,
                 report_every_s: float = REPORT_EVERY_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.timezone_h = float(config.options.get("timezone", 8))
        self.delay_s = min(60, max(2, int(config.options.get("delay", 10))))
        self.encoding = str(config.options.get("encoding", CHINESE_ENCODING))
        self.offline_after_s, self.report_every_s, self._clock = offline_after_s, report_every_s, clock
        self.sink: GateSink | None = None
        self.stamp = 0  # the last ATTLOG stamp it told us: the handshake hands it back so it sends only what's new
        self._queue = DeviceQueue(config.serial)
        self._health = DeviceHealth(config.serial, model=str(config.options.get("model", "")))
        self._held: list[Ack] = []  # decided before start: handed over then
        self._digest: dict[str, str] | None = None  # what the device uploads in answer to a digest's queries
        self._lock = threading.RLock()

    # --- GateDriver ------------------------------------------------------------------------------------------

    def start(self, sink: GateSink) -> None:
        with self._lock:
            self.sink, held, self._held = sink, self._held, []
        if held:
            sink.acknowledged_all(held)

    def submit(self, command: Command) -> None:
        steps = steps_for(command, self.timezone_h)
        if isinstance(steps, Ack):
            self._acknowledge(steps)
            return
        with self._lock:
            for dropped in self._queue.put(command, steps):
                log.info("%s: %s %s of worker %s superseded by sequence %s before delivery", self.config.serial,
                         dropped.op, dropped.command_id, dropped.worker_key, command.sequence)

    def check(self) -> list[Finding]:
        with self._lock:
            return self._health.findings(self._clock(), self.offline_after_s)

    def stop(self) -> None:
        with self._lock:
            self.sink = None

    # --- what the terminal sends (called by the server) --------------------------------------------------------

    def handshake(self, language: str | None, push_version: str | None) -> str:
        with self._lock:
            if "encoding" not in self.config.options and language is not None:
                self.encoding = CHINESE_ENCODING if language == lines.CHINESE_LANGUAGE else "utf-8"
            self._health.push_version = push_version or self._health.push_version
            self._contact(None)
            return lines.options_text(self.config.serial, self.stamp, self.delay_s, self.timezone_h)

    def attlog(self, body: str, stamp: str | None) -> int | None:
        """Punches handed to the sink; the number taken, or None when there is no sink to take them yet."""
        punches, bad = lines.parse_attlog(body, self.config.serial, self.timezone_h)
        if bad:
            log.warning("%s: %d malformed ATTLOG line(s) skipped, first: %r", self.config.serial, len(bad), bad[0][:80])
        with self._lock:
            was_polling, sink = self._contact(None), self.sink
        if sink is None:
            return None
        if punches:
            sink.punched(punches)  # returns once spooled: only then may the device forget them
        with self._lock:
            if stamp is not None and stamp.isdigit():
                self.stamp = int(stamp)  # its latest word: a terminal reset to factory starts low again
            if was_polling:
                self._health.clock_from(punches)
            self._report_if_due()
        return len(punches)

    def records(self, table: str, body: str) -> None:
        with self._lock:
            self._contact(None)
            if self._digest is None:
                return
            for record in lines.parse_records(table, body):
                if record.table == "USERINFO":
                    self._digest.setdefault(record.pin, "")
                else:
                    self._digest[record.pin] = record.photo_sha256

    def poll(self, info: str | None) -> list[str]:
        with self._lock:
            self._contact(lines.parse_info(info) if info else None)
            taken = self._queue.take()
            if any(lines.QUERY_PEOPLE in line for line in taken):
                self._digest = {}
            return taken

    def returns(self, body: str) -> None:
        acks: list[Ack] = []
        with self._lock:
            self._contact(None)
            for ret in lines.parse_devicecmd(body):
                result = self._queue.returned(ret.command_id, ret.code)
                if result is None:
                    log.info("%s: return for command %s we did not send or already decided", self.config.serial,
                             ret.command_id)
                elif result[1] is not None:
                    acks.append(self._finish(result[1]))
            if acks:
                self._report_if_due()
        self._acknowledge_all(acks)  # one write for the batch the device returned

    def ping(self) -> None:
        with self._lock:
            self._contact(None)

    def tick(self) -> None:
        """The server's watch: silence turns into an offline report; a live device is reported every 30 s."""
        with self._lock:
            now, sink = self._clock(), self.sink
            lost = self._health.lost(now, self.offline_after_s)
            if lost is not None:
                requeued = self._queue.requeue_unanswered()
                log.warning("%s: no poll for %.0f s, offline (%d command(s) to send again)", self.config.serial,
                            self.offline_after_s, requeued)
            report = lost or (self._health.due(now, self.report_every_s)
                              if self._health.polling(now, self.offline_after_s) else None)
        if report is not None and sink is not None:
            sink.reported(report)

    # --- inside --------------------------------------------------------------------------------------------------

    def _finish(self, ack: Ack) -> Ack:
        self._health.note_outcome(ack.reason, ack.outcome == DONE and ack.op in (ENROL, REVOKE))
        if ack.op == DIGEST:
            held, self._digest = self._digest or {}, None
            if ack.outcome == DONE:
                return replace(ack, people=[[key, held[key]] for key in sorted(held)])
        return ack

    def _acknowledge(self, ack: Ack) -> None:
        self._acknowledge_all([ack])

    def _acknowledge_all(self, acks: list[Ack]) -> None:
        if not acks:
            return
        with self._lock:
            sink = self.sink
            if sink is None:
                self._held.extend(acks)
                return
        sink.acknowledged_all(acks)

    def _contact(self, info: lines.DeviceInfo | None) -> bool:
        was_polling = self._health.contact(self._clock(), info, steady_within_s=2 * self.delay_s + 5)
        self._report_if_due()  # back online, new counts or firmware: told at once
        return was_polling

    def _report_if_due(self) -> None:
        report = self._health.due(self._clock(), self.report_every_s)
        if report is not None and self.sink is not None:
            self.sink.reported(report)
