"""Valid unified social credit codes for tests (GB 32100 with its GB 11714 organisation code), one per seed."""

from __future__ import annotations

import zlib

from realname_codes.uscc import organisation_code_check_character, uscc_check_character


def uscc_for(seed: str) -> str:
    """The same valid code for the same seed, a different one for another."""
    body = f"{zlib.crc32(seed.encode()):010d}"[-8:]
    first17 = f"91310000{body}{organisation_code_check_character(body)}"
    return first17 + uscc_check_character(first17)
