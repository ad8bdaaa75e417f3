"""Numbers in worker search (R4, R14): a whole ID number or phone, or the last four characters a mask shows.

The numbers are stored encrypted, so they are found by blind index only: the whole number's
(``ProtectedField.index``), or its last four characters' (``tail_index``), which registration writes into
``id_tail_bidx`` / ``phone_tail_bidx`` with the same function, so that both sides agree.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import ColumnElement
from sqlalchemy.orm.util import AliasedClass

from realname_kit.privacy import Keyring, Kind, normalise
from realname_kit.problems import Problem
from realname_registry.models import ID_NUMBER, ID_TAIL_FIELD, PHONE, PHONE_TAIL_FIELD, Worker

TAIL = 4  # what a mask shows of a number (R4), and so what a person can compare and search by
ID_LENGTH, MOBILE_LENGTH = 18, 11
_TAIL_KINDS: dict[str, Kind] = {ID_TAIL_FIELD: "id_number", PHONE_TAIL_FIELD: "phone"}
_PHONE_CHARACTERS = frozenset("0123456789+-()")  # digits and how people write them apart


def tail_index(keyring: Keyring, field: str, value: str) -> str:
    """Blind index of the last four characters of a number, for ``ID_TAIL_FIELD`` or ``PHONE_TAIL_FIELD``.

    Registration gives the whole number, search the four characters: both are normalised as the field's
    kind (``x`` is ``X``, ``+86`` goes), so they meet.
    """
    kind = _TAIL_KINDS.get(field)
    if kind is None:
        raise ValueError(f"{field!r} is not a tail index field")
    clean = normalise(value, kind)
    if len(clean) < TAIL:
        raise ValueError(f"a number of {len(clean)} characters has no last {TAIL}")
    return keyring.blind_index(clean[-TAIL:], field=field, kind="text")


def id_number_condition(keyring: Keyring, query: str,
                        worker: type[Worker] | AliasedClass[Worker]) -> ColumnElement[bool]:
    value = normalise(query, "id_number")
    if len(value) == ID_LENGTH:
        return worker.id_number_bidx == ID_NUMBER.index(keyring, value)
    if len(value) == TAIL:
        return worker.id_tail_bidx == tail_index(keyring, ID_TAIL_FIELD, value)
    raise Problem(422, "id_number_query", "Give the whole ID number or its last four characters",
                  f"{len(value)} characters were given: search by all {ID_LENGTH}, or by the last {TAIL} as "
                  "the masked number shows them.", field="id_number",
                  message_zh=f"请输入完整的身份证号码（{ID_LENGTH}位）或末{TAIL}位，当前输入了{len(value)}位。")


def phone_condition(keyring: Keyring, query: str,
                    worker: type[Worker] | AliasedClass[Worker]) -> ColumnElement[bool]:
    typed = "".join(unicodedata.normalize("NFKC", query).split())
    value = normalise(query, "phone")
    if not set(typed) - _PHONE_CHARACTERS:
        if len(value) == MOBILE_LENGTH:
            return worker.phone_bidx == PHONE.index(keyring, value)
        if len(value) == TAIL:
            return worker.phone_tail_bidx == tail_index(keyring, PHONE_TAIL_FIELD, value)
    raise Problem(422, "phone_query", "Give the whole mobile number or its last four digits",
                  f"Search by all {MOBILE_LENGTH} digits, or by the last {TAIL} as the masked number shows them.",
                  field="phone",
                  message_zh=f"请输入完整的手机号码（{MOBILE_LENGTH}位）或末{TAIL}位。")
