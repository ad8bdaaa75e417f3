"""A gate's health from what it (or its bridge) last reported, at a moment the caller gives (R23).

No clock is read here: the caller passes ``now``, so the rules are tested with any time they like.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from realname_codes.gate_protocol import CLOCK_TOLERANCE_S, OFFLINE_AFTER_S

OFFLINE_AFTER = timedelta(seconds=OFFLINE_AFTER_S)


@dataclass(frozen=True, slots=True)
class Heard:
    """What is known of a gate's contact: when it was last heard of, and whether its bridge said it was there."""

    last_contact_at: datetime | None
    reported_online: bool | None


def is_online(heard: Heard, now: datetime) -> bool:
    """Heard from within OFFLINE_AFTER_S, and not reported lost by its bridge."""
    if heard.last_contact_at is None or heard.reported_online is False:
        return False
    return now - heard.last_contact_at <= OFFLINE_AFTER


def came_online(before: Heard, after: Heard, now: datetime) -> bool:
    """Offline (or never seen) before the report, online after it: the gate gets what changed meanwhile."""
    return not is_online(before, now) and is_online(after, now)


def is_clock_off(offset_s: float | None) -> bool:
    """The gate's clock differs from the true time by more than CLOCK_TOLERANCE_S: its punches would be wrong."""
    return offset_s is not None and abs(offset_s) > CLOCK_TOLERANCE_S


def contact_moment(reported: datetime | None, now: datetime) -> datetime:
    """When the contact took place: the report's own time, but never later than now (a clock ahead is no proof
    of life in the future)."""
    if reported is None or reported > now:
        return now
    return reported


def online_cutoff(now: datetime) -> datetime:
    """The earliest last contact of a gate online at ``now`` (for queries)."""
    return now - OFFLINE_AFTER
