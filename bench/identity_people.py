"""The people of the identity benchmark: the authority simulator's register, and the cards their readers read.

Each person holds a valid card (born 1975-1986, valid 2016-05-01 to 2036-05-01) that the simulator answers
``match`` for, so every read of the benchmark ends as ``identity.verified``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from realname_edge.card import PHOTO_LENGTH, CardRecord
from tests.support.cards import card_of, person


def people(count: int) -> list[dict[str, str]]:
    return [person(n) for n in range(count)]


def write_register(everyone: list[dict[str, str]], path: Path) -> Path:
    """The simulator's data file (REALNAME_AUTHORITY_SIM_DATA_FILE): a JSON list of {id_number, name, status}."""
    path.write_text(json.dumps(everyone, ensure_ascii=False), encoding="utf-8")
    return path


def card_record(someone: dict[str, str]) -> CardRecord:
    """Their card as the edge-reader hands it over, photo included (the reader's 1,024-byte WLT image)."""
    card = card_of(someone)
    return CardRecord(name=card["name"], sex=card["sex"], ethnicity=card["ethnicity"],
                      birth_date=date.fromisoformat(card["birth_date"]), address=card["address"],
                      id_number=card["id_number"], issuing_authority=card["issuing_authority"],
                      valid_from=date.fromisoformat(card["valid_from"]), valid_to=date.fromisoformat(card["valid_to"]),
                      photo=bytes(range(256)) * (PHOTO_LENGTH // 256))
