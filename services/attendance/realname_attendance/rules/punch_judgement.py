"""Judging a punch (R27): valid only if the worker was admitted to the gate's project at that moment; otherwise
rejected with exactly one reason. No I/O and no clock: the caller passes what it knows and when it received it.

The reasons, checked in this order (the first that applies is the punch's reason):

1. ``unknown_device``: the serial names no registered gate (its bridge sent it; kept, with no gate);
2. ``device_disabled``: the gate, or the bridge it is behind, is disabled;
3. ``clock_skew``: the punch is dated more than ``CLOCK_SKEW`` after it was received;
4. ``unknown_worker``: the worker key names no worker of ours;
5. ``not_admitted``: no admission of the worker to the gate's project had begun (entry) by the punch's time;
6. ``exited``: every admission that had begun by then had also ended (exit) by then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

UNKNOWN_DEVICE = "unknown_device"
DEVICE_DISABLED = "device_disabled"
CLOCK_SKEW = "clock_skew"
UNKNOWN_WORKER = "unknown_worker"
NOT_ADMITTED = "not_admitted"
EXITED = "exited"
REASONS = (UNKNOWN_DEVICE, DEVICE_DISABLED, CLOCK_SKEW, UNKNOWN_WORKER, NOT_ADMITTED, EXITED)

SKEW_ALLOWED = timedelta(minutes=5)  # a gate's clock a little ahead of ours is no reason to refuse a punch
ENDS = ("in", "out")  # what a punch or a one-way gate says; a gate both ways leaves it to the punch


@dataclass(frozen=True, slots=True)
class GateKnown:
    """The registered gate a punch names, as judging needs it."""

    gate_id: str
    project_id: str
    enabled: bool  # the gate's, and its bridge's, if it has one
    direction: str  # in | out | both


@dataclass(frozen=True, slots=True)
class Stay:
    """One admission of a worker to a project: from ``entry_at`` (None: not yet entered) to ``exited_at``
    (None: still there; ``exited`` with no time: left at a moment not told)."""

    entry_at: datetime | None
    exited_at: datetime | None
    exited: bool


@dataclass(frozen=True, slots=True)
class Judgement:
    valid: bool
    reason: str | None  # one of REASONS when not valid
    direction: str | None  # in | out; None when neither the punch nor its gate says


def judge(gate: GateKnown | None, worker_known: bool, stays: Iterable[Stay], *, at: datetime,
          received_at: datetime, direction: str | None) -> Judgement:
    """R27. ``stays``: the worker's admissions to the gate's project (none when the worker or gate is unknown)."""
    way = punch_direction(direction, gate.direction if gate is not None else None)
    reason = _reason(gate, worker_known, list(stays), at, received_at)
    return Judgement(reason is None, reason, way)


def _reason(gate: GateKnown | None, worker_known: bool, stays: list[Stay], at: datetime,
            received_at: datetime) -> str | None:
    if gate is None:
        return UNKNOWN_DEVICE
    if not gate.enabled:
        return DEVICE_DISABLED
    if at - received_at > SKEW_ALLOWED:
        return CLOCK_SKEW
    return UNKNOWN_WORKER if not worker_known else _admission_reason(stays, at)


def _admission_reason(stays: list[Stay], at: datetime) -> str | None:
    begun = [s for s in stays if s.entry_at is not None and s.entry_at <= at]
    if not begun:
        return NOT_ADMITTED
    if all(_ended_by(s, at) for s in begun):
        return EXITED
    return None


def _ended_by(stay: Stay, at: datetime) -> bool:
    if stay.exited_at is not None:
        return stay.exited_at < at  # "not exited before it": a punch at the very moment of exit still counts
    return stay.exited


def punch_direction(own: str | None, gates: str | None) -> str | None:
    """The punch's own direction, else its gate's when the gate goes one way only, else unknown."""
    if own in ENDS:
        return own
    return gates if gates in ENDS else None


def local_day(at: datetime) -> date:
    """The day the punch belongs to: its own date at the gate's UTC offset (the offset it was sent with)."""
    return at.date()


def is_late(at: datetime, received_at: datetime) -> bool:
    """Received on a later local day (at the punch's own offset) than the day it belongs to: a gate that was
    offline, or a cache flushed after midnight. The ledger of its day is then corrected (R28)."""
    return local_day(at) < received_at.astimezone(at.tzinfo).date()
