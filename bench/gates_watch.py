"""When each worker reached (or left) every gate: a stopwatch on the simulated terminals' own memories.

The terminals run in the benchmark's process, so each tells the watch, as it happens, that a worker's face came onto
it or left it (``SimulatedDevice.face_watchers``, called under the device's own lock at the moment of the change):
the watch records, per gate and worker key, the first moment the worker was on it with a face, and the first moment
they were gone again. Nothing is polled, so timing 20 gates of 1,000 people each costs the terminals nothing. A
worker is synced when they are on every watched gate; revoked when they are off every one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from realname_edge.gate_sims.device import FaceWatcher
from tests.support.gate_devices import SimGate


class Watch:
    def __init__(self, gates: Iterable[SimGate]) -> None:
        self.gates = list(gates)
        self.on: dict[tuple[str, str], float] = {}  # (gate id, key) -> first seen with a face (monotonic)
        self.off: dict[tuple[str, str], float] = {}  # (gate id, key) -> first seen gone after it was on
        self._lock = threading.Lock()
        self._watchers: list[tuple[SimGate, FaceWatcher]] = []

    def __enter__(self) -> Watch:
        for gate in self.gates:
            watcher = self._watcher(gate.id)
            with gate.device._lock:  # the benchmark's own simulator: what it holds now counts as on from now
                held = [key for key, person in gate.device.people.items() if person.face is not None]
                gate.device.face_watchers.append(watcher)
            for key in held:
                watcher(key, True)
            self._watchers.append((gate, watcher))
        return self

    def __exit__(self, *exc: object) -> None:
        for gate, watcher in self._watchers:
            with gate.device._lock:
                gate.device.face_watchers.remove(watcher)

    def _watcher(self, gate_id: str) -> Callable[[str, bool], None]:
        def changed(key: str, held: bool) -> None:
            now = time.monotonic()
            with self._lock:
                if held:
                    self.on.setdefault((gate_id, key), now)
                elif (gate_id, key) in self.on:
                    self.off.setdefault((gate_id, key), now)
        return changed

    def synced_at(self, key: str, kind: str | None = None) -> float | None:
        """When the worker was on the last of the gates (of ``kind``; None: not on all yet)."""
        with self._lock:
            return _last([self.on.get((g.id, key)) for g in self.gates if kind in (None, g.kind)])

    def revoked_at(self, key: str, kind: str | None = None) -> float | None:
        with self._lock:
            return _last([self.off.get((g.id, key)) for g in self.gates if kind in (None, g.kind)])

    def count_on(self, gate: SimGate, keys: set[str]) -> int:
        with gate.device._lock:
            return sum(1 for key in keys if (person := gate.device.people.get(key)) is not None
                       and person.face is not None)


def _last(times: list[float | None]) -> float | None:
    return None if any(t is None for t in times) else max(t for t in times if t is not None)


def latencies_ms(started: dict[str, float], reached: dict[str, float | None]) -> tuple[list[float], int]:
    """Per worker, from its start to when it reached every gate; and how many never did."""
    done = [(reached[k] - t) * 1000 for k, t in started.items() if reached.get(k) is not None]  # type: ignore[operator]
    return done, len(started) - len(done)
