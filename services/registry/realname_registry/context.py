"""What the registry's code works with beyond the database: the personal-data keyring, today's date."""

from __future__ import annotations

from datetime import date

from flask import current_app

from realname_kit.privacy import Keyring
from realname_kit.settings import Settings
from realname_kit.timeutil import today_in_china

_KEYRINGS: dict[str, Keyring] = {}


def keyring_for(settings: Settings) -> Keyring:
    """One keyring per keyring file, loaded once per process (consumers and web workers alike)."""
    path = str(settings.data_keys_file)
    if path not in _KEYRINGS:
        _KEYRINGS[path] = Keyring.from_settings(settings)
    return _KEYRINGS[path]


def request_keyring() -> Keyring:
    return keyring_for(current_app.extensions["realname"].settings)


def today() -> date:
    return today_in_china()
