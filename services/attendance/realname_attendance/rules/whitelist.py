"""What each gate should hold, per (gate, worker) pair, and how a pair moves toward it (R23, R26). No I/O.

A pair is ``wanted`` on (the worker is admitted to the gate's project, entry confirmed: R23) or off (exited or
never admitted: R26). Its ``state`` moves ``pending → sent → synced``; a gate's refusal makes it ``failed`` with
our reason. A transient refusal (``TRANSIENT``) goes back to pending after a back-off; a permanent one waits for a
person, who is told what to do (``rules.sync_words``). ``sequence`` grows with every command of a pair: an
acknowledgement of another command is stale and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from realname_codes.gate_protocol import DONE, ENROL, REVOKE, TRANSIENT

ON, OFF = "on", "off"
PENDING, SENT, SYNCED, FAILED = "pending", "sent", "synced", "failed"
STATES = (PENDING, SENT, SYNCED, FAILED)
# Our own reason, beside the gate protocol's: an admitted worker without a face photo waits for one.
FACE_MISSING = "face_missing"
# Delays before a transient failure is tried again, by attempt (the last one repeats): the whitelist queue's
# wait tiers, so one hop through the broker's wait queue each time.
BACKOFF_S = (10, 60, 300, 1800)


@dataclass(frozen=True, slots=True)
class PairState:
    """The fields of a ``gate_people`` row the rules decide."""

    wanted: str
    state: str = PENDING
    sequence: int = 0
    command_id: str | None = None
    reason: str | None = None
    photo_problem: str | None = None
    detail: str | None = None
    attempts: int = 0
    sent_at: datetime | None = None
    synced_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AckView:
    """What the rules read of a gate's acknowledgement."""

    command_id: str
    sequence: int
    op: str
    outcome: str
    reason: str | None = None
    photo_problem: str | None = None
    detail: str = ""


def operation(pair: PairState, has_face: bool) -> str | None:
    """The command a pair needs: an enrol while wanted on, a revoke while wanted off. Wanted on without a face, the
    gate cannot recognise the worker: a person it may hold (something was sent before) is revoked, and the pair
    then waits for a face (``face_missing``); one never sent waits at once (None)."""
    if pair.wanted == OFF:
        return REVOKE
    if has_face:
        return ENROL
    return REVOKE if pair.sequence > 0 else None


def want(pair: PairState | None, wanted: str, *, again: bool = False) -> PairState | None:
    """The pair once ``wanted`` is decided; None when nothing changes (no row to write).

    The same wish changes nothing while the pair is on its way or there (``again`` forces another send: a gate
    that was offline or wiped, a new face, a person's resync). A new wish restarts the pair from pending.
    """
    if pair is None:
        return PairState(wanted=wanted) if wanted == ON or again else None
    if pair.wanted == wanted and not again:
        return None
    return replace(pair, wanted=wanted, state=PENDING, reason=None, photo_problem=None, detail=None, attempts=0)


def wait_for_face(pair: PairState) -> PairState:
    """An enrol without a face: the gate cannot recognise the worker, so nothing is sent until a face is uploaded."""
    return replace(pair, state=FAILED, reason=FACE_MISSING, photo_problem=None, detail=None)


def dispatched(pair: PairState, command_id: str, now: datetime) -> PairState:
    return replace(pair, state=SENT, sequence=pair.sequence + 1, command_id=command_id, attempts=pair.attempts + 1,
                   sent_at=now, reason=None, photo_problem=None, detail=None)


def is_stale(pair: PairState, ack: AckView) -> bool:
    """An answer to a command the pair no longer waits for (an older sequence, another command, or none sent)."""
    return pair.state != SENT or ack.command_id != pair.command_id or ack.sequence != pair.sequence


def acknowledged(pair: PairState, ack: AckView, now: datetime) -> PairState | None:
    """The pair after the gate's answer; None when the answer is stale."""
    if is_stale(pair, ack):
        return None
    if ack.outcome == DONE and ack.op == REVOKE and pair.wanted == ON:
        return wait_for_face(pair)  # the face was removed: off the gate until a new one is uploaded
    if ack.outcome == DONE:
        return replace(pair, state=SYNCED, synced_at=now, reason=None, photo_problem=None, detail=None)
    return replace(pair, state=FAILED, reason=ack.reason, photo_problem=ack.photo_problem, detail=ack.detail or None)


def retry_in(pair: PairState) -> int | None:
    """Seconds until a failed pair is tried again; None when it waits for a person (a permanent reason)."""
    if pair.state != FAILED or pair.reason not in TRANSIENT:
        return None
    return BACKOFF_S[min(max(pair.attempts, 1), len(BACKOFF_S)) - 1]


def due_again(pair: PairState, sequence: int) -> PairState | None:
    """A retry falling due: pending again if the pair still stands where the retry was scheduled."""
    if pair.sequence != sequence or retry_in(pair) is None:
        return None  # sent again meanwhile, synced, or wanted otherwise: this retry is spent
    return replace(pair, state=PENDING)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A pending pair the dispatcher may send."""

    gate_id: str
    worker_id: str
    wanted: str
    waiting_since: datetime


def choose(candidates: Sequence[Candidate], in_flight: dict[str, int], window: int) -> list[Candidate]:
    """What to send now, in order: every revoke first (R26: a leaver never waits behind newcomers, and a revoke is
    outside the window: it is small and overtakes queued enrols on the gate's queue), then the oldest enrols
    while the gate has fewer than ``window`` commands unacknowledged."""
    ordered = sorted(candidates, key=lambda c: (c.wanted != OFF, c.waiting_since, c.gate_id, c.worker_id))
    busy = dict(in_flight)
    chosen: list[Candidate] = []
    for candidate in ordered:
        if candidate.wanted == ON and busy.get(candidate.gate_id, 0) >= window:
            continue
        busy[candidate.gate_id] = busy.get(candidate.gate_id, 0) + 1
        chosen.append(candidate)
    return chosen
