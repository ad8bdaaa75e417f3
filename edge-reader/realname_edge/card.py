"""What one read of a resident ID card yields (R1), and the ``card.read`` payload it becomes."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

PHOTO_LENGTH = 1024  # the reader's compressed (WLT) photo; decoding it needs the vendor's library, so it is kept as is


@dataclass(frozen=True, repr=False)
class CardRecord:
    name: str
    sex: Literal["male", "female"]
    ethnicity: str  # GB 3304 code, "01".."56"
    birth_date: date
    address: str
    id_number: str
    issuing_authority: str
    valid_from: date
    valid_to: date | None  # None: valid for life (长期)
    photo: bytes
    card_serial: str | None = None

    def to_event(self) -> dict[str, Any]:
        """The JSON-able ``card.read`` payload: dates in ISO form, the photo in base64."""
        return {"name": self.name, "sex": self.sex, "ethnicity": self.ethnicity,
                "birth_date": self.birth_date.isoformat(), "address": self.address, "id_number": self.id_number,
                "issuing_authority": self.issuing_authority, "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "photo": base64.b64encode(self.photo).decode("ascii"), "card_serial": self.card_serial}

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> CardRecord:
        """The record back from its payload (a spooled read is published again later); KeyError/ValueError if bad."""
        sex = str(data["sex"])
        if sex not in ("male", "female"):
            raise ValueError(f"sex must be male or female, not {sex!r}")
        valid_to = data["valid_to"]
        serial = data.get("card_serial")
        return cls(name=str(data["name"]), sex="male" if sex == "male" else "female",
                   ethnicity=str(data["ethnicity"]), birth_date=date.fromisoformat(str(data["birth_date"])),
                   address=str(data["address"]), id_number=str(data["id_number"]),
                   issuing_authority=str(data["issuing_authority"]),
                   valid_from=date.fromisoformat(str(data["valid_from"])),
                   valid_to=date.fromisoformat(str(valid_to)) if valid_to else None,
                   photo=base64.b64decode(str(data["photo"]), validate=True),
                   card_serial=str(serial) if serial is not None else None)

    def __repr__(self) -> str:
        # Records end up in logs: the number is masked as R4 asks, and the photo is only counted.
        number = self.id_number
        masked = number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else "*" * len(number)
        return (f"CardRecord(name={self.name!r}, sex={self.sex!r}, id_number={masked!r}, "
                f"valid_to={self.valid_to}, photo=<{len(self.photo)} bytes>, card_serial={self.card_serial!r})")
