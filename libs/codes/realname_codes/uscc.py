"""GB 32100-2015 unified social credit codes of enterprises, with the GB 11714 organisation code inside them."""

from __future__ import annotations

# GB 32100-2015: the 31 characters of a unified social credit code (no I, O, Z, S, V).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid unified social credit code, or None when it is."""
    if len(code) != 18:
        return f"a unified social credit code has 18 characters, this one has {len(code)}"
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        return f"characters not used in credit codes: {''.join(bad)} (I, O, Z, S, V and lower case never appear)"
    if not code[2:8].isdigit():
        return "characters 3–8 must be the six-digit administrative region code"
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return f"the check character should be {expected}, not {code[17]}: a character was mistyped"
    org = code[8:17]
    org_expected = organisation_code_check_character(org[:8])
    if org_expected is None or org[8] != org_expected:
        return f"the organisation code {org[:8]}-{org[8]} inside it fails its GB 11714 check"
    return None


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_character(body: str) -> str | None:
    """GB 11714 check character of an 8-character organisation code body; None if it has bad characters."""
    values = []
    for c in body:
        if c.isdigit():
            values.append(int(c))
        elif "A" <= c <= "Z":
            values.append(ord(c) - ord("A") + 10)
        else:
            return None
    check = 11 - sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def normalise_uscc(raw: str) -> str:
    return raw.strip().upper()
