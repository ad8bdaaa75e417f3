"""What the registry's code works with beyond the database: the personal-data keyring, today's date."""

from __future__ import annotations

from datetime import date

from realname_kit.privacy import request_keyring, shared_keyring
from realname_kit.timeutil import today_in_china

keyring_for = shared_keyring
__all__ = ["keyring_for", "request_keyring", "today"]


def today() -> date:
    return today_in_china()
