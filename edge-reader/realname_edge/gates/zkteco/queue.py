"""One device's commands, waiting for its next poll: a leaver first (R26), then by arrival; each platform command
is one or two device commands (``C:<id>:…``) whose returns make one acknowledgement. Not thread-safe: the server
holds its lock around every call."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

from realname_codes.gate_protocol import DIGEST, DONE, FAILED, Ack, Command
from realname_edge.gates.zkteco.codes import outcome_of
from realname_edge.gates.zkteco.lines import command_line

MAX_ANSWER_BYTES = 900 * 1024  # a device takes at most this much in one answer to getrequest
_ids = itertools.count(1)  # device command ids: unique within the bridge process, so a stale return is unknown


@dataclass(slots=True)
class Pending:
    command: Command = field(repr=False)  # an enrol holds a face photo: never in a repr
    steps: list[str] = field(repr=False)  # the device commands' texts, in order (a photo among them: never shown)
    arrival: int = 0
    cancelled: bool = False
    returned: int = 0  # steps the device has returned successfully
    acked: bool = False


@dataclass(slots=True)
class DeviceQueue:
    serial: str
    _heap: list[tuple[int, int, Pending]] = field(default_factory=list, repr=False)
    _flying: dict[str, tuple[Pending, int]] = field(default_factory=dict, repr=False)  # device id → (cmd, step)
    _arrivals: itertools.count[int] = field(default_factory=itertools.count)

    def put(self, command: Command, steps: list[str]) -> list[Command]:
        """Queue ``command``; returns the waiting commands it supersedes (same worker, older sequence), dropped
        so that an enrol queued before a revoke cannot put a leaver back after the revoke."""
        superseded: list[Command] = []
        if command.worker_key is not None:
            for _, _, waiting in self._heap:
                older = waiting.command
                if (not waiting.cancelled and older.worker_key == command.worker_key
                        and older.sequence < command.sequence):
                    waiting.cancelled = True
                    superseded.append(older)
        arrival = next(self._arrivals)
        heapq.heappush(self._heap, (-command.priority, arrival, Pending(command, steps, arrival)))
        return superseded

    def __len__(self) -> int:
        return sum(1 for _, _, p in self._heap if not p.cancelled)

    def take(self, max_bytes: int = MAX_ANSWER_BYTES) -> list[str]:
        """The lines for one answer: whole platform commands, highest priority first, up to ``max_bytes``
        (one command always goes, even a larger one: the device refuses it with -1006 rather than never), and
        at most one digest, last."""
        lines: list[str] = []
        size = 0
        while self._heap:
            pending = self._heap[0][2]
            if pending.cancelled:
                heapq.heappop(self._heap)
                continue
            texts = [(str(next(_ids)), text) for text in pending.steps]
            batch = [command_line(device_id, text) for device_id, text in texts]
            batch_size = sum(len(line.encode()) + 2 for line in batch)
            if lines and size + batch_size > max_bytes:
                break
            heapq.heappop(self._heap)
            pending.returned = 0
            for step, (device_id, _) in enumerate(texts):
                self._flying[device_id] = (pending, step)
            lines.extend(batch)
            size += batch_size
            if pending.command.op == DIGEST:
                break  # its uploads must not mix with another digest's: the next one waits for the next poll
        return lines

    def returned(self, device_id: str, code: str) -> tuple[Pending, Ack | None] | None:
        """The device returned ``code`` for one of its commands: the acknowledgement once the platform command is
        decided (done when every step is, failed at the first failure); None for a return we did not send."""
        flight = self._flying.pop(device_id, None)
        if flight is None:
            return None
        pending, step = flight
        if pending.acked:
            return pending, None
        command = pending.command
        outcome = outcome_of(code, command.op)
        if not outcome.ok:
            pending.acked = True
            self._forget(pending)
            return pending, Ack(command.command_id, command.device, command.op, FAILED, command.sequence,
                                command.worker_key, outcome.reason, outcome.photo_problem,
                                detail=f"ZKTeco Return={code} at step {step + 1} of {len(pending.steps)}")
        pending.returned += 1
        if pending.returned < len(pending.steps):
            return pending, None
        pending.acked = True
        return pending, Ack(command.command_id, command.device, command.op, DONE, command.sequence,
                            command.worker_key, detail="" if command.op != DIGEST else "ZKTeco query")

    def requeue_unanswered(self) -> int:
        """The device went away with commands in hand: send them again when it is back (every step is idempotent:
        UPDATE is add-or-edit, DELETE of an absent PIN returns -10, which a revoke takes as done)."""
        again = {id(p): p for p, _ in self._flying.values() if not p.acked}
        self._flying.clear()
        for pending in again.values():
            heapq.heappush(self._heap, (-pending.command.priority, pending.arrival, pending))  # its old place
        return len(again)

    def _forget(self, pending: Pending) -> None:
        for device_id in [d for d, (p, _) in self._flying.items() if p is pending]:
            del self._flying[device_id]
