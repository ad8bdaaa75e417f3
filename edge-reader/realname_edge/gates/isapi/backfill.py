"""Punches the terminal recorded but never posted: found by the serial-number gap, fetched from its memory.

Each posted event names the device's previous event (``frontSerialNo``). When that is not the last event we were
given, events in between never reached us (a lost upload, a cache that overflowed, a bridge that was replaced):
the driver asks the device's event memory (``POST /ISAPI/AccessControl/AcsEvent``) for the time between the two
and hands every passed face found there to the spool. A punch found twice is one punch (its ``event_key``).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any

from realname_codes import gate_protocol as gp
from realname_edge.gates.isapi.client import IsapiClient
from realname_edge.gates.isapi.events import FACE_PASSED, punch_of

PAGE = 30
MAX_PAGES = 1_000


@dataclass(frozen=True, slots=True)
class Gap:
    start: str  # the time of the last event we were given
    end: str  # the time of the event that revealed the gap


class GapWatch:
    """Remembers the last event of a device; says when the next one does not follow it."""

    def __init__(self) -> None:
        self._last: tuple[int, str] | None = None
        self._lock = threading.Lock()

    def observe(self, event: dict[str, Any]) -> Gap | None:
        serial_no, front, at = event.get("serialNo"), event.get("frontSerialNo"), str(event.get("time") or "")
        if not isinstance(serial_no, int) or not at:
            return None
        with self._lock:
            last, self._last = self._last, (serial_no, at)
        if last is None or not isinstance(front, int) or front in (0, last[0]) or serial_no == last[0]:
            return None
        return Gap(last[1], at)


def fetch(client: IsapiClient, serial: str, direction: str, gap: Gap) -> list[gp.Punch]:
    """Every passed face the device holds between the gap's two times (raises Unreachable / CredentialsRefused)."""
    search_id, punches, position = str(uuid.uuid4()), list[gp.Punch](), 0
    for _ in range(MAX_PAGES):
        cond = {"searchID": search_id, "searchResultPosition": position, "maxResults": PAGE, "major": FACE_PASSED[0],
                "minor": FACE_PASSED[1], "startTime": gap.start, "endTime": gap.end}
        answer = client.call("POST", "/ISAPI/AccessControl/AcsEvent", json={"AcsEventCond": cond})
        found = (answer.body or {}).get("AcsEvent")
        if answer.status != 200 or not isinstance(found, dict):
            break
        infos = [i for i in found.get("InfoList") or [] if isinstance(i, dict)]
        for info in infos:  # the search words major/minor what the upload calls majorEventType/subEventType
            event = {**info, "majorEventType": info.get("major"), "subEventType": info.get("minor")}
            punch = punch_of(serial, direction, event, None)
            if punch is not None:
                punches.append(punch)
        position += len(infos)
        if found.get("responseStatusStrg") != "MORE" or not infos:
            break
    return punches
