"""The listening host: terminals POST each recognition here; each becomes a ``Punch`` (R23).

The bridge mounts ``IsapiListener`` at ``/isapi/events``; a terminal posts to ``/isapi/events/<its serial>``
``multipart/form-data`` with a JSON part (``AccessControllerEvent``) and a ``Picture`` part. The listener hands
the event to the driver of that serial, which puts the punch in the spool *before* the listener answers 200: a
terminal that gets no 200 keeps the event and sends it again, so nothing is lost and a repeat is one punch (its
``event_key``). An unknown serial is answered 404 and reported once a minute as ``Report(known=False)``.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from realname_codes import gate_protocol as gp
from realname_edge.gates.driver import GateSink

log = logging.getLogger(__name__)

FACE_PASSED = (5, 75)  # majorEventType 5 (event), subEventType 75: face authentication passed
# attendanceStatus → direction, for a gate configured "both" (the terminal's attendance mode decides).
DIRECTIONS = {"checkIn": gp.IN, "checkOut": gp.OUT, "breakIn": gp.IN, "breakOut": gp.OUT, "overtimeIn": gp.IN,
              "overtimeOut": gp.OUT}
UNKNOWN_REPORT_EVERY_S = 60.0

EventHandler = Callable[[dict[str, Any], bytes | None], None]  # raises when the punch is not safe yet


def verified_by(mode: str) -> str:
    lowered = mode.lower()
    for word, name in (("face", "face"), ("finger", "fingerprint"), ("card", "card")):
        if word in lowered:
            return name
    return lowered or "face"


def punch_of(serial: str, gate_direction: str, event: dict[str, Any], picture: bytes | None,
             *, with_photo: bool = False) -> gp.Punch | None:
    """The punch an ``AccessControllerEvent`` stands for; None for events that are not a passed face (or card)."""
    if (event.get("majorEventType"), event.get("subEventType")) != FACE_PASSED:
        return None
    key, at, serial_no = str(event.get("employeeNoString") or ""), str(event.get("time") or ""), event.get("serialNo")
    if not key or not at or serial_no is None:
        return None
    direction = gate_direction if gate_direction in (gp.IN, gp.OUT) else DIRECTIONS.get(
        str(event.get("attendanceStatus") or ""))
    return gp.Punch(serial, key, at, f"{serial}:{serial_no}:{at}", direction,
                    verified_by(str(event.get("currentVerifyMode") or "")),
                    base64.b64encode(picture).decode() if with_photo and picture else None)


def _event_json(request: Request) -> dict[str, Any] | None:
    """The JSON part, whatever the firmware names it (AccessControllerEvent, event_log, …)."""
    texts = list(request.form.values()) + [f.read().decode("utf-8", "replace") for name, f in request.files.items()
                                           if name != "Picture" and "json" in (f.mimetype or "")]
    if request.mimetype == "application/json":
        texts.append(request.get_data(as_text=True))
    for text in texts:
        try:
            loaded = json.loads(text)
        except (ValueError, TypeError):
            continue
        if isinstance(loaded, dict) and isinstance(loaded.get("AccessControllerEvent"), dict):
            return dict(loaded["AccessControllerEvent"])
    return None


class IsapiListener:
    def __init__(self) -> None:
        self._handlers: dict[str, EventHandler] = {}
        self._sinks: dict[str, GateSink] = {}
        self._unknown_reported: dict[str, float] = {}
        self._lock = threading.Lock()

    def register(self, serial: str, handler: EventHandler, sink: GateSink) -> None:
        with self._lock:
            self._handlers[serial], self._sinks[serial] = handler, sink

    def unregister(self, serial: str) -> None:
        with self._lock:
            self._handlers.pop(serial, None)
            self._sinks.pop(serial, None)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        return self._answer(request)(environ, start_response)

    def _answer(self, request: Request) -> Response:
        serial = request.path.strip("/").split("/")[-1]
        with self._lock:
            handler = self._handlers.get(serial)
        if request.method != "POST":
            return Response("POST only", 405)
        if handler is None:
            self._report_unknown(serial)
            return Response("unknown device", 404)
        event = _event_json(request)
        if event is None:
            return Response("no AccessControllerEvent", 200)  # heartbeats and other events: taken, nothing to do
        picture = request.files["Picture"].read() if "Picture" in request.files else None
        try:
            handler(event, picture)
        except Exception:  # the spool did not take it: no 200, so the terminal keeps the event and sends it again
            log.exception("isapi event of %s not spooled", serial)
            return Response("not taken, send again", 503)
        return Response("OK", 200)

    def _report_unknown(self, serial: str) -> None:
        now = time.monotonic()
        with self._lock:
            sink = next(iter(self._sinks.values()), None)
            last = self._unknown_reported.get(serial)
            if sink is None or not serial or (last is not None and now - last < UNKNOWN_REPORT_EVERY_S):
                return
            self._unknown_reported[serial] = now
        sink.reported(gp.Report(serial, datetime.now(UTC).isoformat(), known=False, kind=gp.HIKVISION_ISAPI))
