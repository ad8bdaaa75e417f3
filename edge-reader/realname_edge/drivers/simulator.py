"""A reader without hardware: hands out sample identities from a file, one per read, in turn.

The file is a JSON array, or JSON lines, of ``card.read`` payloads (``CardRecord.to_event``); ``photo``
may be left out (a fixed 1,024-byte pattern stands in) and ``card_serial`` too. An entry of the form
``{"error": "card_unreadable"}`` makes that read fail with that reason, to rehearse R2's messages.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from realname_codes.ethnicities import ETHNICITIES
from realname_codes.id_numbers import InvalidIdNumber, parse_id_number
from realname_edge.card import PHOTO_LENGTH, CardRecord
from realname_edge.errors import ERRORS, CardReaderError, NoCard, ReaderNotFound
from realname_edge.sam.text_record import encode_text_record

SAMPLE_IDENTITIES = Path(__file__).resolve().parent.parent / "samples" / "identities.json"
PLACEHOLDER_PHOTO = bytes(range(256)) * (PHOTO_LENGTH // 256)

Sample = CardRecord | type[CardReaderError]


class InvalidSamples(ValueError):
    """The samples file holds something no real card could: the simulator refuses to start with it."""


class SimulatorDriver:
    def __init__(self, path: str | Path | None = None, *, interval: float = 0.0,
                 today: Callable[[], date] = date.today) -> None:
        self._path = Path(path) if path else SAMPLE_IDENTITIES
        self._interval = interval  # seconds until the next card is "presented"
        self._today = today
        self._samples: list[Sample] = []
        self._next = 0

    def open(self) -> None:
        try:
            text = self._path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ReaderNotFound(f"simulator samples file {self._path}: {exc.strerror}") from exc
        self._samples = [_sample(entry, number, self._today()) for number, entry in enumerate(_entries(text), 1)]
        if not self._samples:
            raise InvalidSamples(f"{self._path} holds no identities")
        self._next = 0

    def close(self) -> None:
        self._samples = []

    def read_card(self, timeout: float) -> CardRecord:
        if not self._samples:
            raise ReaderNotFound("the simulator is not open")
        if self._interval > timeout:
            time.sleep(timeout)
            raise NoCard(f"the simulator presents a card every {self._interval} s")
        time.sleep(self._interval)
        sample = self._samples[self._next]
        self._next = (self._next + 1) % len(self._samples)
        if isinstance(sample, CardRecord):
            return sample
        raise sample("simulated")

    def describe(self) -> str:
        return f"simulator reading sample identities from {self._path.name}"


def _entries(text: str) -> list[Any]:
    try:
        if text.lstrip().startswith("["):
            entries = json.loads(text)
            return entries if isinstance(entries, list) else [entries]
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise InvalidSamples(f"not JSON or JSON lines: {exc}") from exc


def _sample(entry: Any, number: int, today: date) -> Sample:
    if not isinstance(entry, Mapping):
        raise InvalidSamples(f"identity {number} is not an object")
    if "error" in entry:
        if entry["error"] not in ERRORS:
            raise InvalidSamples(f"identity {number}: unknown error {entry['error']!r}, use one of {sorted(ERRORS)}")
        return ERRORS[entry["error"]]
    try:
        record = CardRecord.from_event({"photo": base64.b64encode(PLACEHOLDER_PHOTO).decode()} | dict(entry))
        _check(record, today)
    except (KeyError, ValueError, InvalidIdNumber) as exc:
        raise InvalidSamples(f"identity {number}: {_why(exc)}") from exc
    return record


def _check(record: CardRecord, today: date) -> None:
    """A sample must be a card a real reader could return, or the simulator would rehearse the impossible."""
    number = parse_id_number(record.id_number, today)
    if number.value != record.id_number or number.birth_date != record.birth_date or number.sex != record.sex:
        raise ValueError("id_number does not agree with birth_date and sex")
    if record.ethnicity not in ETHNICITIES:
        raise ValueError(f"ethnicity {record.ethnicity!r} is not a GB 3304 code")
    if len(record.photo) != PHOTO_LENGTH:
        raise ValueError(f"photo has {len(record.photo)} bytes, not {PHOTO_LENGTH}")
    encode_text_record(record)  # the fields fit the card's text record


def _why(exc: Exception) -> str:
    if isinstance(exc, InvalidIdNumber):
        return f"id_number: {exc.invalid.message}"
    return f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
