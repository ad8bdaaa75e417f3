"""Personal fields inside an event, sealed with the data keyring: the bus, the outboxes and the dead letters
carry ciphertext, and only a process holding the keys reads them (PIPL).

A sealed event keeps its plain fields (ids, times, reason codes) where they are and moves the personal ones
under ``sealed``::

    {"ref": "…", "received_at": "…", "sealed": {"name": "v1:<kid>:<nonce>:<ciphertext>", …}}

Each value is the JSON of the field encrypted with the context ``event:<event type>.<field>`` as associated
data: a value copied into another event type or field does not open. Keys and rotation are the keyring's,
as for the protected columns: the active key seals, every key still in the keyring opens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from realname_kit.privacy.keyring import Keyring, TamperedValueError

SEALED = "sealed"


@dataclass(frozen=True, slots=True)
class SealedFields:
    """The personal ``fields`` of one ``event_type``: ``SealedFields("x.happened", ("name", "address"))``."""

    event_type: str
    fields: tuple[str, ...]

    def context(self, name: str) -> str:
        return f"event:{self.event_type}.{name}"

    def seal(self, keyring: Keyring, data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` with its personal fields (those present) replaced by one ``sealed`` object."""
        sealed = {name: keyring.encrypt(json.dumps(data[name], ensure_ascii=False), context=self.context(name))
                  for name in self.fields if name in data}
        return {**{k: v for k, v in data.items() if k not in self.fields}, SEALED: sealed}

    def open(self, keyring: Keyring, data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` with its sealed fields in clear again.

        Raises ``TamperedValueError`` for a missing, altered or foreign sealed value, ``UnknownKeyError`` for a
        value sealed under a key this keyring does not hold.
        """
        sealed = data.get(SEALED)
        if not isinstance(sealed, Mapping):
            raise TamperedValueError(f"{self.event_type} carries no sealed fields")
        stray = sorted(set(sealed) - set(self.fields))
        if stray:
            raise TamperedValueError(f"{self.event_type} seals fields it has not: {', '.join(stray)}")
        opened = {k: v for k, v in data.items() if k != SEALED}
        for name, value in sealed.items():
            if not isinstance(value, str):
                raise TamperedValueError(f"{self.event_type}.{name} is not a sealed value")
            opened[name] = json.loads(keyring.decrypt(value, context=self.context(name)))
        return opened

    def is_sealed(self, data: Mapping[str, Any]) -> bool:
        """True for the sealed shape; False for the plain one an older publisher sent."""
        return SEALED in data
