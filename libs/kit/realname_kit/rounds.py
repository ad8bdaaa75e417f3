"""A chore's rounds: the work once at start, then every ``seconds`` until ``stop``. A round that fails (the database
away) is logged and the next one tries again: a chore thread never dies of one."""

from __future__ import annotations

import threading
from collections.abc import Callable

from realname_kit.logs import get_logger

log = get_logger(__name__)


def in_rounds(stop: threading.Event, seconds: float, work: Callable[[], None], *, failed: str) -> None:
    """Run ``work`` now and every ``seconds`` until ``stop`` is set; ``failed``: the event logged when a round fails."""
    while True:
        try:
            work()
        except Exception as exc:  # the database or the broker away: the next round tries again
            log.warning(failed, error=repr(exc)[:300])
        if stop.wait(seconds):
            return
