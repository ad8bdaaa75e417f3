"""Idempotency: a request asked again under the same key gets the first answer, as the real authority promises.

It matters when a card expires, or is reported, between a request the client gave up on and its retry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from realname_identity.authority.verdicts import Verdict


class KeyReused(Exception):
    """The key came with a different request: a client bug, refused rather than answered wrongly."""


class Replays:
    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._answers: OrderedDict[str, tuple[str, Verdict]] = OrderedDict()
        self._lock = threading.Lock()

    def answer(self, key: str | None, fingerprint: str, decide: Callable[[], Verdict]) -> Verdict:
        if not key:
            return decide()
        with self._lock:
            seen = self._answers.get(key)
            if seen is None:
                seen = self._answers[key] = (fingerprint, decide())
                if len(self._answers) > self._capacity:
                    self._answers.popitem(last=False)
        if seen[0] != fingerprint:
            raise KeyReused(key)
        return seen[1]
