"""An import's file and rows hold ID and bank-card numbers: they are stored encrypted (R4), as JSON or bytes
(``realname_kit.privacy.blobs``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from realname_kit.privacy import Keyring

FILE_CONTEXT = "registry.import_jobs.content"
COPY_CONTEXT = "registry.import_jobs.error_copy"
ROW_CONTEXT = "registry.import_rows.payload"


def seal_json(keyring: Keyring, value: Any) -> str:
    return keyring.encrypt(json.dumps(value, default=_plain, ensure_ascii=False), context=ROW_CONTEXT)


def open_json(keyring: Keyring, stored: str) -> Any:
    return json.loads(keyring.decrypt(stored, context=ROW_CONTEXT))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
