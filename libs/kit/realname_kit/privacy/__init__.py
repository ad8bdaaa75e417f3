"""Personal data (PIPL): encrypted ID, phone and bank-card numbers at rest and in events, blind indexes, masks (R4)."""

from realname_kit.privacy.columns import ProtectedField, rekey_rows
from realname_kit.privacy.keyring import (
    Keyring,
    KeyringError,
    PrivacyError,
    TamperedValueError,
    UnknownKeyError,
    add_key,
    ensure_keyring,
    key_id,
    request_keyring,
    shared_keyring,
)
from realname_kit.privacy.masking import mask_bank_card, mask_id_number, mask_phone
from realname_kit.privacy.normalise import Kind, normalise
from realname_kit.privacy.scrubbing import scrub_personal_numbers
from realname_kit.privacy.sealing import SealedFields

__all__ = [
    "Keyring",
    "KeyringError",
    "Kind",
    "PrivacyError",
    "ProtectedField",
    "SealedFields",
    "TamperedValueError",
    "UnknownKeyError",
    "add_key",
    "ensure_keyring",
    "key_id",
    "mask_bank_card",
    "mask_id_number",
    "mask_phone",
    "normalise",
    "rekey_rows",
    "request_keyring",
    "scrub_personal_numbers",
    "shared_keyring",
]
