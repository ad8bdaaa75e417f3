"""When the simulated authority answers (R3): working days 08:00–20:00 China time.

Closed on Saturdays, Sundays and closure dates (national holidays, announced outages). A weekend day listed in
``workdays`` is worked (调休, e.g. the Sunday before National Day). ``mode`` forces ``always_open`` or
``closed_now`` for demos. Calendar file (TOML or JSON, by extension), every key optional::

    mode = "normal"                                  # normal | always_open | closed_now
    opens = "08:00"
    closes = "20:00"
    closures = ["2025-10-01..2025-10-08", "2025-06-02"]  # dates, or inclusive ranges FROM..TO
    workdays = ["2025-09-28", "2025-10-11"]
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, cast

from realname_kit.timeutil import CHINA

Mode = Literal["normal", "always_open", "closed_now"]
MODES = ("normal", "always_open", "closed_now")
_KEYS = {"mode", "opens", "closes", "closures", "workdays"}
_HORIZON_DAYS = 400  # a closure longer than this has no reopening in sight


@dataclass(frozen=True, slots=True)
class AuthorityCalendar:
    closures: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    mode: Mode = "normal"
    opens: time = time(8)
    closes: time = time(20)

    def is_open(self, now: datetime) -> bool:
        if self.mode != "normal":
            return self.mode == "always_open"
        local = now.astimezone(CHINA)
        return self._working_day(local.date()) and self.opens <= local.time() < self.closes

    def reopens_at(self, now: datetime) -> datetime | None:
        """The first opening after ``now``; None when none is known (``closed_now``, or no end in sight)."""
        if self.mode != "normal":
            return None
        local = now.astimezone(CHINA)
        day = local.date() if local.time() < self.opens else local.date() + timedelta(days=1)
        for _ in range(_HORIZON_DAYS):
            if self._working_day(day):
                return datetime.combine(day, self.opens, CHINA)
            day += timedelta(days=1)
        return None

    def _working_day(self, day: date) -> bool:
        return day not in self.closures and (day.weekday() < 5 or day in self.workdays)


def load_calendar(path: Path, extra_closures: str = "") -> AuthorityCalendar:
    """The calendar a file describes, plus the closures of a comma list (``parse_dates``)."""
    text = path.read_text(encoding="utf-8")
    raw: Any = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    if not isinstance(raw, dict) or set(raw) - _KEYS:
        raise ValueError(f"{path.name}: a calendar is a table with only the keys {', '.join(sorted(_KEYS))}")
    mode = raw.get("mode", "normal")
    if mode not in MODES:
        raise ValueError(f"{path.name}: mode must be one of {', '.join(MODES)}, not {mode!r}")
    return AuthorityCalendar(closures=_dates(raw.get("closures", [])) | parse_dates(extra_closures),
                             workdays=_dates(raw.get("workdays", [])), mode=cast(Mode, mode),
                             opens=time.fromisoformat(raw.get("opens", "08:00")),
                             closes=time.fromisoformat(raw.get("closes", "20:00")))


def parse_dates(text: str) -> frozenset[date]:
    """``2025-10-01..2025-10-08,2025-06-02``: dates and inclusive ranges, comma-separated."""
    return _dates(item for item in text.split(",") if item.strip())


def _dates(items: Iterable[object]) -> frozenset[date]:
    days: set[date] = set()
    for item in items:
        if isinstance(item, date):  # TOML reads an unquoted 2025-10-01 as a date
            days.add(item)
            continue
        first, _, last = str(item).strip().partition("..")
        start = date.fromisoformat(first)
        end = date.fromisoformat(last) if last else start
        if end < start:
            raise ValueError(f"closure range {item!r} ends before it starts")
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return frozenset(days)
