"""A face terminal's memory and behaviour, shared by the three simulated protocols.

It holds people and faces up to its capacities, judges photos by rules a test sets (as a real device's own face
model would: one device may refuse what another took), keeps a clock that can drift, can be switched off, and
records recognitions as events numbered the way Hikvision numbers them (1-100000, then round again).
Every method is safe to call from several threads.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

SERIAL_WRAP = 100_000


class DeviceRefusal(Exception):
    """The device would not do it: ``code`` is the simulator's own (mapped to each vendor's by its protocol)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, detail


# The simulator's refusal codes; each protocol renders them as its vendor does.
FULL_PEOPLE, FULL_FACES, NO_PERSON, PHOTO_NO_FACE, PHOTO_NOT_SHARP, PHOTO_TOO_LARGE, PHOTO_MODELLING = (
    "people_full", "faces_full", "no_person", "no_face", "not_sharp", "too_large", "modelling_failed")

PhotoRule = Callable[[bytes], str | None]  # a photo → a refusal code, or None when this rule takes it
FaceWatcher = Callable[[str, bool], None]  # (worker key, now held with a face): told as it changes, under the lock


def larger_than(max_bytes: int) -> PhotoRule:
    return lambda photo: PHOTO_TOO_LARGE if len(photo) > max_bytes else None


def refuse_hashes(hashes: set[str], code: str = PHOTO_MODELLING) -> PhotoRule:
    """Refuse these exact photos (by SHA-256), as a device whose model cannot build a template from them."""
    return lambda photo: code if hashlib.sha256(photo).hexdigest() in hashes else None


def smaller_than(min_width: int, min_height: int) -> PhotoRule:
    """Refuse a photo whose pixels are fewer than the model needs (read from the JPEG itself)."""
    def rule(photo: bytes) -> str | None:
        from PIL import Image, UnidentifiedImageError  # only the simulator needs Pillow, and only for this rule
        try:
            with Image.open(io.BytesIO(photo)) as image:
                width, height = image.size
        except UnidentifiedImageError:
            return PHOTO_MODELLING  # not a picture its model can read: refused, not a crash of the device
        return PHOTO_NOT_SHARP if width < min_width or height < min_height else None
    return rule


@dataclass(slots=True)
class Person:
    key: str
    name: str
    valid_from: str | None = None
    valid_until: str | None = None
    face: bytes | None = field(default=None, repr=False)  # biometric: never in a repr, a log or an error

    @property
    def face_sha256(self) -> str:
        return hashlib.sha256(self.face).hexdigest() if self.face is not None else ""


@dataclass(frozen=True, slots=True)
class Recognition:
    serial_no: int  # 1..SERIAL_WRAP, wraps
    key: str
    at: datetime  # the device's clock, with its drift
    verified_by: str = "face"


@dataclass
class SimulatedDevice:
    serial: str
    model: str = "SIM-FACE-1"
    firmware: str = "V1.0.0"
    people_capacity: int = 3000
    faces_capacity: int = 3000
    online: bool = True
    clock_drift_s: float = 0.0
    photo_rules: list[PhotoRule] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)
    events: list[Recognition] = field(default_factory=list)  # the device's event memory, oldest first
    next_serial: int = 1
    face_watchers: list[FaceWatcher] = field(default_factory=list, repr=False, compare=False)  # a stopwatch
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # --- what a test tells it -----------------------------------------------------------------------------

    def go_offline(self) -> None:
        self.online = False

    def come_back(self) -> None:
        self.online = True

    def fill_up(self, people_capacity: int | None = None, faces_capacity: int | None = None) -> None:
        """Shrink its capacity to what it holds now (or to the numbers given): the next add is refused."""
        with self._lock:
            self.people_capacity = len(self.people) if people_capacity is None else people_capacity
            self.faces_capacity = self.face_count() if faces_capacity is None else faces_capacity

    def reject_photos(self, rule: PhotoRule) -> None:
        self.photo_rules.append(rule)

    def drift(self, seconds: float) -> None:
        with self._lock:  # += is a read and a write: two threads drifting at once must both count
            self.clock_drift_s += seconds

    def wipe(self) -> None:
        """A factory reset: nobody left on it."""
        with self._lock:
            held = [key for key, person in self.people.items() if person.face is not None]
            self.people.clear()
            for key in held:
                self._face_changed(key, False)

    # --- what a protocol does to it ------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.clock_drift_s)

    def set_time(self, moment: datetime) -> None:
        self.clock_drift_s = (moment - datetime.now(UTC)).total_seconds()

    def put_person(self, key: str, name: str, valid_from: str | None = None, valid_until: str | None = None,
                   *, create_only: bool = False) -> bool:
        """Add or edit a person; True when added. ``create_only``: refuse one that exists (ISAPI Record)."""
        with self._lock:
            existing = self.people.get(key)
            if existing is not None:
                if create_only:
                    raise DeviceRefusal("exists", key)
                existing.name, existing.valid_from, existing.valid_until = name, valid_from, valid_until
                return False
            if len(self.people) >= self.people_capacity:
                raise DeviceRefusal(FULL_PEOPLE, f"{self.people_capacity} people")
            self.people[key] = Person(key, name, valid_from, valid_until)
            return True

    def put_face(self, key: str, photo: bytes) -> None:
        with self._lock:
            person = self.people.get(key)
            if person is None:
                raise DeviceRefusal(NO_PERSON, key)  # a face before its person fails, as on the real ones
            if person.face is None and self.face_count() >= self.faces_capacity:
                raise DeviceRefusal(FULL_FACES, f"{self.faces_capacity} faces")
            for rule in self.photo_rules:
                code = rule(photo)
                if code is not None:
                    raise DeviceRefusal(code)
            had, person.face = person.face is not None, photo
            if not had:
                self._face_changed(key, True)

    def remove_person(self, key: str) -> bool:
        """Remove the person and their face; False when they were not there."""
        with self._lock:
            person = self.people.pop(key, None)
            if person is not None and person.face is not None:
                self._face_changed(key, False)
            return person is not None

    def remove_face(self, key: str) -> None:
        with self._lock:
            person = self.people.get(key)
            if person is not None and person.face is not None:
                person.face = None
                self._face_changed(key, False)

    def _face_changed(self, key: str, held: bool) -> None:
        for watcher in self.face_watchers:
            watcher(key, held)

    def face_count(self) -> int:
        with self._lock:
            return sum(1 for p in self.people.values() if p.face is not None)

    def listing(self) -> dict[str, str]:
        """Worker key → face hash ("" without a face): what it holds."""
        with self._lock:
            return {key: person.face_sha256 for key, person in self.people.items()}

    def events_after(self, count: int) -> list[Recognition]:
        """The events recorded after the first ``count``, oldest first (what a gate has not yet delivered)."""
        with self._lock:
            return self.events[count:]

    def recognise(self, key: str, verified_by: str = "face") -> Recognition:
        """Someone stood in front of it: an event is recorded (whether or not the platform hears of it now)."""
        with self._lock:
            event = Recognition(self.next_serial, key, self.now(), verified_by)
            self.next_serial = self.next_serial % SERIAL_WRAP + 1
            self.events.append(event)
            return event
