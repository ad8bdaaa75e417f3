"""The simulated terminal's listening-mode upload: each recognition is POSTed to the configured host.

As a real terminal, it keeps what the host did not take (no answer, or not 200) and sends it again, oldest
first, until the host answers 200: nothing is skipped and nothing overtakes.
"""

from __future__ import annotations

import io
import json
import threading
from collections import deque
from dataclasses import dataclass

import requests

from realname_edge.gate_sims.device import SERIAL_WRAP, Recognition
from realname_edge.gate_sims.isapi_state import TerminalState
from realname_edge.gate_sims.isapi_system import event_fields
from realname_edge.gate_sims.isapi_wire import local_time


@dataclass(frozen=True)
class Pending:
    event: Recognition
    front_serial_no: int
    attendance_status: str
    picture: bytes


def capture_picture() -> bytes:
    """A small JPEG standing for the camera's capture (the simulator has no camera)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), (128, 128, 128)).save(out, "JPEG")
    return out.getvalue()


class EventUploader:
    def __init__(self, state: TerminalState, *, retry_s: float = 0.2, timeout_s: float = 3.0) -> None:
        self._state, self._retry_s, self._timeout_s = state, retry_s, timeout_s
        self._queue: deque[Pending] = deque()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._session = requests.Session()

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"isapi-sim-upload-{self._state.device.serial}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def add(self, event: Recognition, attendance_status: str, picture: bytes) -> None:
        with self._wake:  # frontSerialNo: the device's previous event, whether or not it was ever uploaded
            earlier = len(self._state.device.events) > 1
            front = event.serial_no - 1 if event.serial_no > 1 else (SERIAL_WRAP if earlier else 0)
            self._queue.append(Pending(event, front, attendance_status, picture))
            self._wake.notify_all()

    @property
    def waiting(self) -> int:
        with self._wake:
            return len(self._queue)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                head = self._queue[0]
            if self._post(head):
                with self._wake:
                    self._queue.popleft()
            else:
                with self._wake:
                    self._wake.wait(self._retry_s)

    def _post(self, pending: Pending) -> bool:
        target = self._state.host.target
        if not target or not self._state.device.online:  # an offline terminal caches; it cannot reach anyone
            return False
        device = self._state.device
        fields = event_fields(pending.event, pending.attendance_status)
        fields.update(deviceName=device.serial, frontSerialNo=pending.front_serial_no, currentVerifyMode="face"
                      if pending.event.verified_by == "face" else pending.event.verified_by)
        body = {"ipAddress": "127.0.0.1", "portNo": 80, "protocol": "HTTP", "macAddress": "44:19:b6:00:00:01",
                "channelID": 1, "dateTime": local_time(pending.event.at), "activePostCount": 1,
                "eventType": "AccessControllerEvent", "eventState": "active",
                "eventDescription": "Access Controller Event", "AccessControllerEvent": fields}
        files: dict[str, tuple[str | None, bytes | str, str]] = {
            "AccessControllerEvent": (None, json.dumps(body), "application/json"),
                 "Picture": ("Picture.jpg", pending.picture, "image/jpeg")}
        try:
            answer = self._session.post(target, files=files, timeout=self._timeout_s)
        except requests.RequestException:
            return False
        return answer.status_code == 200
