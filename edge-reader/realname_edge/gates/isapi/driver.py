"""``IsapiDriver``: the site bridge's driver for one Hikvision ISAPI terminal (the bridge calls the device).

Options (``GateConfig.options``): ``listen_url`` (where the device posts its events: the bridge's
``http://host:port/isapi/events``, the serial is appended when missing), ``door_no`` (1), ``fdid`` ("1"),
``timeout`` (s per HTTP call, 5), ``delete_wait_s`` (10), ``poll_s`` (how often the device is looked at, 5),
``min_firmware`` ("V2.0.0"), ``punch_photos`` (false: the capture is not sent with the punch).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import replace

from realname_codes import gate_protocol as gp
from realname_edge.gates.driver import Finding, GateConfig, GateSink
from realname_edge.gates.isapi import backfill, health, listening
from realname_edge.gates.isapi.client import CredentialsRefused, IsapiClient, Unreachable
from realname_edge.gates.isapi.command_queue import CommandQueue
from realname_edge.gates.isapi.commands import FaceHashes, Settings, carry_out, carry_out_revokes
from realname_edge.gates.isapi.events import IsapiListener, punch_of
from realname_edge.gates.isapi.people import MAX_DELETE_KEYS

log = logging.getLogger(__name__)
CLOCK_CHANGE_S = 5.0  # a clock offset that moved less than this is not news


class IsapiDriver:
    def __init__(self, config: GateConfig, listener: IsapiListener, *, report_every_s: float = 30.0) -> None:
        self.config, self._listener, self._report_every_s = config, listener, report_every_s
        options = config.options
        self._client = IsapiClient(config.address, config.username, config.password,
                                   timeout_s=float(options.get("timeout", 5.0)))
        self._settings = Settings(door_no=int(options.get("door_no", 1)), fdid=str(options.get("fdid", "1")),
                                  delete_wait_s=float(options.get("delete_wait_s", 10.0)))
        self._poll_s = float(options.get("poll_s", min(5.0, report_every_s)))
        self._listen_url = listening.events_url(str(options.get("listen_url") or ""), config.serial)
        self._min_firmware = str(options.get("min_firmware", health.MIN_FIRMWARE))
        self._with_photo = bool(options.get("punch_photos", False))
        self._queue, self._faces, self._stopping = CommandQueue(), FaceHashes(), threading.Event()
        self._gaps, self._backfills = backfill.GapWatch(), queue.Queue[backfill.Gap]()
        self._sink: GateSink | None = None
        self._threads: list[threading.Thread] = []

    # --- GateDriver ---------------------------------------------------------------------------------------

    def start(self, sink: GateSink) -> None:
        self._sink = sink
        self._listener.register(self.config.serial, self._on_event, sink)
        for name, target in (("commands", self._work), ("health", self._watch), ("backfill", self._backfill)):
            thread = threading.Thread(target=target, name=f"isapi-{name}-{self.config.serial}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, command: gp.Command) -> None:
        if command.device != self.config.serial:
            self._acknowledge(gp.Ack(command.command_id, command.device, command.op, gp.FAILED, command.sequence,
                                     command.worker_key, reason=gp.UNKNOWN_DEVICE,
                                     detail=f"this driver drives {self.config.serial}"))
            return
        self._queue.put(command)

    def check(self) -> list[Finding]:
        serial = self.config.serial
        try:
            return health.findings_of(serial, health.probe(self._client), self._min_firmware)
        except Unreachable:
            return [health.unreachable(serial, self.config.address)]
        except CredentialsRefused:
            return [health.credentials_refused(serial)]

    def stop(self) -> None:
        self._stopping.set()
        self._queue.close()
        for thread in self._threads:
            thread.join(timeout=15)
        self._listener.unregister(self.config.serial)

    # --- commands, one at a time, in priority order -------------------------------------------------------

    def _work(self) -> None:
        while (command := self._queue.take()) is not None:
            batch = [command]
            if command.op == gp.REVOKE:  # the leavers queued together go in one delete call (R26)
                batch += self._queue.take_revokes(MAX_DELETE_KEYS - 1)
            try:
                acks = (carry_out_revokes(self._client, batch, self._faces, self._settings) if len(batch) > 1
                        else [carry_out(self._client, command, self._faces, self._settings)])
            except Exception as exc:  # an answer we cannot read: say so, and keep serving the others
                log.exception("isapi %s: %s failed", self.config.serial, command.op)
                acks = [gp.Ack(c.command_id, c.device, c.op, gp.FAILED, c.sequence, c.worker_key,
                               reason=gp.DEVICE_ERROR, detail=type(exc).__name__) for c in batch]
            if self._sink is not None:
                self._sink.acknowledged_all(acks)  # the leavers deleted together: one write

    def _acknowledge(self, ack: gp.Ack) -> None:
        if self._sink is not None:
            self._sink.acknowledged(ack)

    # --- punches ------------------------------------------------------------------------------------------

    def _on_event(self, event: dict[str, object], picture: bytes | None) -> None:
        punch = punch_of(self.config.serial, self.config.direction, dict(event), picture, with_photo=self._with_photo)
        if punch is not None:
            if self._sink is None:
                raise RuntimeError("not started")
            self._sink.punched([punch])  # in the spool before the terminal hears 200
        gap = self._gaps.observe(event)
        if gap is not None:
            self._backfills.put(gap)

    def _backfill(self) -> None:
        """Fetch what a serial-number gap says we missed; a device that does not answer is asked again later."""
        while not self._stopping.is_set():
            try:
                gap = self._backfills.get(timeout=self._poll_s)
            except queue.Empty:
                continue
            try:
                found = backfill.fetch(self._client, self.config.serial, self.config.direction, gap)
                if found and self._sink is not None:
                    self._sink.punched(found)
            except Exception:  # the device or the spool cannot now: keep the gap and try again
                log.warning("isapi %s: back-fill of %s..%s postponed", self.config.serial, gap.start, gap.end,
                            exc_info=True)
                self._backfills.put(gap)
                self._stopping.wait(self._poll_s)

    # --- health: a report every report_every_s, and at once when something changed ------------------------

    def _watch(self) -> None:
        last: gp.Report | None = None
        sent_at = 0.0
        while True:
            report = self._look()
            if last is None or _changed(last, report) or time.monotonic() - sent_at >= self._report_every_s:
                if self._sink is not None:
                    self._sink.reported(report)
                last, sent_at = report, time.monotonic()
            if self._stopping.wait(self._poll_s):
                return

    def _look(self) -> gp.Report:
        serial = self.config.serial
        try:
            if self._listen_url:
                listening.keep_host(self._client, self._listen_url)
            found = health.probe(self._client)
        except Unreachable:
            return health.report_of(serial, None)
        except CredentialsRefused:
            return health.report_of(serial, None, "credentials_refused")
        findings = health.findings_of(serial, found, self._min_firmware)
        return health.report_of(serial, found, findings[0].code if findings else None)


def _changed(before: gp.Report, now: gp.Report) -> bool:
    moved = (before.clock_offset_s is None) != (now.clock_offset_s is None) or (
        before.clock_offset_s is not None and now.clock_offset_s is not None
        and abs(before.clock_offset_s - now.clock_offset_s) >= CLOCK_CHANGE_S)
    return moved or replace(before, contact_at="", clock_offset_s=None) != replace(now, contact_at="",
                                                                                    clock_offset_s=None)
