"""When each worker reached (or left) every gate: a watcher of the simulated terminals' own memories.

The terminals run in the benchmark's process, so their lists can be read without a protocol in between (and
without disturbing it): a thread reads every gate's people every few milliseconds and records, per worker key, the
first moment it was on a gate with a face, and the first moment it was gone again. A worker is synced when it is
on every watched gate; revoked when it is off every one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from tests.support.gate_devices import SimGate

POLL_S = 0.005


class Watch:
    def __init__(self, gates: Iterable[SimGate]) -> None:
        self.gates = list(gates)
        self.on: dict[tuple[str, str], float] = {}  # (gate id, key) -> first seen with a face (monotonic)
        self.off: dict[tuple[str, str], float] = {}  # (gate id, key) -> first seen gone after it was on
        self._seen: dict[str, set[str]] = {g.id: set() for g in self.gates}  # on once, not yet gone
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gate-watch", daemon=True)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for gate in self.gates:
                now = time.monotonic()
                held, seen = _with_faces(gate), self._seen[gate.id]
                for key in held - seen:
                    self.on.setdefault((gate.id, key), now)
                for key in seen - held:
                    self.off.setdefault((gate.id, key), now)
                seen.clear()
                seen.update(held)
            self._stop.wait(POLL_S)

    def synced_at(self, key: str, kind: str | None = None) -> float | None:
        """When the worker was on the last of the gates (of ``kind``; None: not on all yet)."""
        return _last([self.on.get((g.id, key)) for g in self.gates if kind in (None, g.kind)])

    def revoked_at(self, key: str, kind: str | None = None) -> float | None:
        return _last([self.off.get((g.id, key)) for g in self.gates if kind in (None, g.kind)])

    def count_on(self, gate: SimGate, keys: set[str]) -> int:
        return len(keys & _with_faces(gate))


def _last(times: list[float | None]) -> float | None:
    return None if any(t is None for t in times) else max(t for t in times if t is not None)


def _with_faces(gate: SimGate) -> set[str]:
    """The keys the terminal holds with a face (read under its lock, as its protocol threads write)."""
    with gate.device._lock:  # the benchmark's own simulator: reading it costs the protocol nothing
        return {key for key, person in gate.device.people.items() if person.face is not None}


def latencies_ms(started: dict[str, float], reached: dict[str, float | None]) -> tuple[list[float], int]:
    """Per worker, from its start to when it reached every gate; and how many never did."""
    done = [(reached[k] - t) * 1000 for k, t in started.items() if reached.get(k) is not None]  # type: ignore[operator]
    return done, len(started) - len(done)
