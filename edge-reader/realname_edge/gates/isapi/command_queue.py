"""A device's commands in the order they must run: by the protocol's priority, then as they came (R26).

A revoke (priority 9) queued behind enrols (priority 1) is taken first: a leaver leaves the gate before anyone
new is put on it.
"""

from __future__ import annotations

import heapq
import itertools
import threading

from realname_codes.gate_protocol import REVOKE, Command


class CommandQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Command]] = []
        self._order = itertools.count()
        self._ready = threading.Condition()
        self._closed = False

    def put(self, command: Command) -> None:
        with self._ready:
            heapq.heappush(self._heap, (-command.priority, next(self._order), command))
            self._ready.notify()

    def take(self, timeout_s: float | None = None) -> Command | None:
        """The next command, or None when closed (or nothing came within ``timeout_s``)."""
        with self._ready:
            self._ready.wait_for(lambda: self._heap or self._closed, timeout_s)
            if self._closed or not self._heap:
                return None
            return heapq.heappop(self._heap)[2]

    def take_revokes(self, limit: int) -> list[Command]:
        """The revokes waiting at the head of the queue, up to ``limit``: one delete call can carry them all."""
        taken: list[Command] = []
        with self._ready:
            while self._heap and len(taken) < limit and self._heap[0][2].op == REVOKE:
                taken.append(heapq.heappop(self._heap)[2])
        return taken

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def __len__(self) -> int:
        with self._ready:
            return len(self._heap)
