"""A ZKTeco PUSH terminal, simulated: a thread that calls the server as the firmware does.

Handshake (``GET /cdata?options=all``, Chinese firmware: ``language=83``, names in GB2312), then every ``Delay``
seconds (the server's, capped by ``delay_s``): upload new ATTLOG records, poll ``/getrequest`` with its ``INFO``,
run the commands on its ``SimulatedDevice`` and post their returns to ``/devicecmd``. A batch whose answer is not
``OK:<n>`` (a bare ``OK`` included) is sent again; ``resend_times`` sends every batch that many times anyway, as a
misbehaving unit does. While ``device.go_offline()`` it calls nobody; records wait on it and go after ``come_back()``.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta, timezone

import requests

from realname_edge.gate_sims.device import SimulatedDevice
from realname_edge.gate_sims.zkteco_commands import Executed, execute, parse_command

log = logging.getLogger(__name__)
ZK_TIME = "%Y-%m-%d %H:%M:%S"
TAKEN = re.compile(r"^OK:(\d+)\s*$")


class ZkTerminal:
    def __init__(self, device: SimulatedDevice, server_url: str, *, delay_s: float = 2.0, resend_times: int = 1,
                 language: str = "83", push_version: str = "2.4.1", batch_size: int = 128) -> None:
        self.device, self.url = device, server_url.rstrip("/")
        self.delay_s, self.resend_times, self.batch_size = delay_s, max(1, resend_times), batch_size
        self.language, self.push_version = language, push_version
        self.encoding = "gb18030" if language == "83" else "utf-8"
        self.timezone_h = 8.0
        self.stamp = 0  # how many of the device's records the server has taken
        self.answers: list[str] = []  # every answer to an ATTLOG upload, in order
        self.handshakes: list[int] = []  # the HTTP status of every handshake tried
        self.executed: list[str] = []  # each command run, up to its first tab (never a photo)
        self.statuses: dict[int, int] = {}  # a recognition's serial number → ATTLOG status (0 in, 1 out)
        self._session = requests.Session()
        self._stop, self._wake = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._greeted = False

    def start(self) -> ZkTerminal:
        self._thread = threading.Thread(target=self._run, name=f"zk-{self.device.serial}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._session.close()

    def punch(self, worker_key: str, status: int = 0) -> None:
        """Someone's face was recognised: recorded on the device, uploaded now if it is online (Realtime=1)."""
        event = self.device.recognise(worker_key)
        self.statuses[event.serial_no] = status
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.device.online:
                    self._cycle()
                else:
                    self._greeted = False  # back from an outage it starts again with a handshake
            except requests.RequestException as exc:
                log.info("%s: server unreachable: %s", self.device.serial, exc)
            self._wake.wait(self.delay_s)
            self._wake.clear()

    def _cycle(self) -> None:
        if not self._greeted and not self._handshake():
            return
        self._upload()
        self._poll()

    def _handshake(self) -> bool:
        answer = self._get("cdata", options="all", pushver=self.push_version, language=self.language)
        self.handshakes.append(answer.status_code)
        if answer.status_code != 200:
            return False
        options = dict(line.split("=", 1) for line in answer.text.splitlines() if "=" in line)
        self.stamp = min(int(options.get("ATTLOGStamp", "0") or 0), len(self.device.events))
        self.delay_s = min(self.delay_s, float(options.get("Delay", self.delay_s)))
        self.timezone_h = float(options.get("TimeZone", self.timezone_h))
        self._greeted = True
        return True

    def _upload(self) -> None:
        while self.device.online and self.stamp < len(self.device.events):
            batch = self.device.events[self.stamp:self.stamp + self.batch_size]
            zone = timezone(timedelta(hours=self.timezone_h))
            body = "".join(f"{e.key}\t{e.at.astimezone(zone).strftime(ZK_TIME)}\t{self.statuses.get(e.serial_no, 0)}"
                           f"\t15\t0\t0\r\n" for e in batch)
            taken = None
            for _ in range(self.resend_times):
                answer = self._post("cdata", body, table="ATTLOG", Stamp=str(self.stamp + len(batch)))
                self.answers.append(answer.text)
                match = TAKEN.match(answer.text)
                taken = int(match.group(1)) if match and answer.status_code == 200 else taken
            if not taken:
                return  # not taken: the same batch again on the next cycle
            self.stamp += min(taken, len(batch))

    def _poll(self) -> None:
        device = self.device
        info = (f"{device.firmware},{len(device.people)},0,{len(device.events)},127.0.0.1,10,7,1,"
                f"{device.face_count()},111")
        answer = self._get("getrequest", INFO=info)
        text = answer.content.decode(self.encoding, errors="replace")
        if answer.status_code != 200 or text.strip() == "OK":
            return
        done: list[Executed] = []
        for line in text.splitlines():
            parsed = parse_command(line.strip())
            if parsed is not None:
                self.executed.append(parsed[1].split("\t")[0])
                done.append(execute(device, *parsed))
        for executed in done:
            for table, rows in executed.uploads:
                self._post("cdata", "".join(row + "\r\n" for row in rows), table=table)
        if done:
            self._post("devicecmd", "".join(e.line() + "\r\n" for e in done))

    def _get(self, path: str, **params: str) -> requests.Response:
        return self._session.get(f"{self.url}/{path}", params={"SN": self.device.serial, **params}, timeout=10)

    def _post(self, path: str, body: str, **params: str) -> requests.Response:
        return self._session.post(f"{self.url}/{path}", params={"SN": self.device.serial, **params},
                                  data=body.encode(self.encoding, errors="replace"), timeout=30)
