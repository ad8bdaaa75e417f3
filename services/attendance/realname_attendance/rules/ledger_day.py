"""One worker's day on one project, from its valid punches and the corrections in force (R28, the attendance ledger).

Pairing, in time order (corrections are passages like the gates' own):

- an ``in`` opens a stay; the next ``out`` closes it, and the minutes between count as on site;
- an ``in`` while a stay is open: within ``REPEAT`` of the opening one it is the same passage seen twice (a face gate
  fires again when the worker lingers) and changes nothing; later, the open stay lacked its out: it is flagged
  ``missing_out``, not counted, and the new ``in`` opens the next stay;
- an ``out`` with no stay open: within ``REPEAT`` of the last ``out`` the same passage again; otherwise flagged
  ``missing_in`` and not counted;
- a punch without a direction (a gate of direction ``both``): it alternates, an ``out`` while a stay is open, else an
  ``in``;
- a stay still open at the end of the day is flagged ``missing_out``.

Nothing is guessed: an unpaired punch counts no minute, it only flags the day. A night shift that crosses midnight
is two days, the first ``missing_out`` and the second ``missing_in``, until someone corrects them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

IN, OUT = "in", "out"
MISSING_IN, MISSING_OUT, MISSING_IN_AND_OUT = "missing_in", "missing_out", "missing_in_and_out"
ANOMALIES = (MISSING_IN, MISSING_OUT, MISSING_IN_AND_OUT)
REPEAT = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Passage:
    """A valid punch, or a correction's passage: when, and which way (None: the gate's direction is ``both``)."""

    at: datetime
    direction: str | None


@dataclass(frozen=True, slots=True)
class DayFigures:
    first_in: datetime | None
    last_out: datetime | None
    minutes: int
    anomaly: str | None


def day_figures(passages: Iterable[Passage]) -> DayFigures:
    """The day's first in, last out, minutes on site and anomaly (R28), pairing as the module says."""
    ordered = sorted(passages, key=lambda p: p.at)
    walk = _Walk()
    for passage in ordered:
        walk.take(passage)
    walk.end()
    ins = [p.at for p, way in walk.ways if way == IN]
    outs = [p.at for p, way in walk.ways if way == OUT]
    return DayFigures(first_in=min(ins, default=None), last_out=max(outs, default=None),
                      minutes=int(walk.seconds // 60), anomaly=_anomaly(walk.missing_in, walk.missing_out))


class _Walk:
    """The stays of one day, walked in time order."""

    def __init__(self) -> None:
        self.open_at: datetime | None = None
        self.last_out: datetime | None = None
        self.seconds = 0.0
        self.missing_in = self.missing_out = False
        self.ways: list[tuple[Passage, str]] = []

    def take(self, passage: Passage) -> None:
        way = passage.direction or (OUT if self.open_at is not None else IN)
        self.ways.append((passage, way))
        if way == IN:
            self._in(passage.at)
        else:
            self._out(passage.at)

    def _in(self, at: datetime) -> None:
        if self.open_at is not None:
            if at - self.open_at <= REPEAT:
                return
            self.missing_out = True
        self.open_at = at

    def _out(self, at: datetime) -> None:
        if self.open_at is not None:
            self.seconds += (at - self.open_at).total_seconds()
            self.open_at, self.last_out = None, at
            return
        if self.last_out is None or at - self.last_out > REPEAT:
            self.missing_in = True
        self.last_out = at

    def end(self) -> None:
        if self.open_at is not None:
            self.missing_out = True


def _anomaly(missing_in: bool, missing_out: bool) -> str | None:
    if missing_in and missing_out:
        return MISSING_IN_AND_OUT
    return MISSING_IN if missing_in else MISSING_OUT if missing_out else None


def day_ends_at(day: date, offset_minutes: int) -> datetime:
    """The instant the local ``day`` ends (its next midnight) at the gate's UTC offset."""
    return datetime.combine(day + timedelta(days=1), time(), timezone(timedelta(minutes=offset_minutes)))


def is_over(ends_at: datetime, grace: timedelta, now: datetime) -> bool:
    """A day is over, and its ledger closed, once its local midnight plus the grace has passed: the grace lets the
    gates' last punches of the evening arrive before the day is told to the wage ledger."""
    return now >= ends_at + grace


def on_site(passages: Iterable[Passage]) -> bool:
    """Whether a stay is still open after the day's passages so far: the worker is on site now."""
    walk = _Walk()
    for passage in sorted(passages, key=lambda p: p.at):
        walk.take(passage)
    return walk.open_at is not None
