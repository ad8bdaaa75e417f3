"""Time in one place: instants are timezone-aware UTC; calendar dates are China's (UTC+8, no DST)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_in_china() -> date:
    """The date on a Chinese site now: contracts, resignations and ages count in it, not in UTC."""
    return utcnow().astimezone(CHINA).date()
