"""The simulated authority's register: who holds which card number, and what it knows about the card.

The data file lists people as ``{"id_number", "name", "status"}`` with status ``match``, ``reported_fake`` or
``expired``. A listed number asked with another name is a mismatch; an unlisted number is not found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal, cast

from realname_codes.id_numbers import normalise_id_number
from realname_identity.authority.verdicts import Verdict

Status = Literal["match", "reported_fake", "expired"]
_STATUSES = ("match", "reported_fake", "expired")


@dataclass(frozen=True, slots=True)
class Person:
    id_number: str
    name: str
    status: Status


class Register:
    def __init__(self, people: list[Person]) -> None:
        self.people = {p.id_number: p for p in people}
        if len(self.people) != len(people):
            raise ValueError("the register lists an ID number twice")

    @classmethod
    def load(cls, path: Path) -> Register:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, list):
            raise ValueError(f"{path.name}: expected a list of people")
        return cls([_person(entry, path.name) for entry in raw])

    def verdict(self, id_number: str, name: str, valid_to: date | None, today: date) -> Verdict:
        """``today`` is the authority's date (China's); a card is valid through its ``valid_to`` day."""
        person = self.people.get(normalise_id_number(id_number))
        if person is None:
            return Verdict.NOT_FOUND
        # The name check comes first: someone without the holder's name learns nothing about the card.
        if person.name != name.strip():
            return Verdict.MISMATCH
        if person.status != "match":
            return Verdict(person.status)
        if valid_to is not None and valid_to < today:
            return Verdict.EXPIRED
        return Verdict.MATCH


def _person(entry: object, source: str) -> Person:
    if not isinstance(entry, dict) or set(entry) != {"id_number", "name", "status"}:
        raise ValueError(f"{source}: each person is {{id_number, name, status}}, got {entry!r}")
    if entry["status"] not in _STATUSES:
        raise ValueError(f"{source}: status must be one of {', '.join(_STATUSES)}, got {entry['status']!r}")
    return Person(normalise_id_number(str(entry["id_number"])), str(entry["name"]), cast(Status, entry["status"]))
