"""The whitelist's state machine per (gate, worker) pair, without I/O (R23, R26)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from realname_attendance.rules.drift import drift
from realname_attendance.rules.sync_words import WHAT_TO_DO, words
from realname_attendance.rules.whitelist import (
    BACKOFF_S,
    FACE_MISSING,
    FAILED,
    OFF,
    ON,
    PENDING,
    SENT,
    SYNCED,
    AckView,
    Candidate,
    PairState,
    acknowledged,
    choose,
    dispatched,
    due_again,
    operation,
    retry_in,
    want,
)
from realname_codes.gate_protocol import (
    DEVICE_FULL,
    DONE,
    ENROL,
    PHOTO_REJECTED,
    REASONS,
    REVOKE,
    TIMEOUT,
    Command,
    Punch,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _sent(wanted: str = ON, sequence: int = 0) -> PairState:
    return dispatched(PairState(wanted=wanted, sequence=sequence), "c-1", _now())


def _ack(pair: PairState, outcome: str = DONE, reason: str | None = None, op: str = ENROL, **kw: str) -> AckView:
    return AckView(command_id=pair.command_id or "", sequence=pair.sequence, op=op, outcome=outcome, reason=reason,
                   **kw)


def test_an_admitted_worker_becomes_a_pending_pair_and_a_leaver_without_a_pair_needs_none() -> None:
    assert want(None, ON) == PairState(wanted=ON, state=PENDING)
    assert want(None, OFF) is None


def test_the_same_wish_changes_nothing_unless_asked_again() -> None:
    synced = replace(_sent(), state=SYNCED)
    assert want(synced, ON) is None
    again = want(synced, ON, again=True)
    assert again is not None and again.state == PENDING and again.sequence == synced.sequence


def test_an_exit_turns_a_synced_pair_into_a_pending_revoke() -> None:
    left = want(replace(_sent(), state=SYNCED), OFF)
    assert left is not None and (left.wanted, left.state) == (OFF, PENDING)
    assert operation(left, has_face=True) == REVOKE


def test_a_failure_is_forgotten_when_the_pair_is_wanted_otherwise() -> None:
    failed = replace(_sent(), state=FAILED, reason=DEVICE_FULL, detail="full")
    left = want(failed, OFF)
    assert left is not None and (left.reason, left.detail, left.attempts) == (None, None, 0)


def test_sending_raises_the_sequence_and_remembers_the_command() -> None:
    pair = dispatched(PairState(wanted=ON, sequence=4), "c-9", _now())
    assert (pair.state, pair.sequence, pair.command_id, pair.attempts) == (SENT, 5, "c-9", 1)


def test_a_done_answer_syncs_the_pair() -> None:
    pair = _sent()
    synced = acknowledged(pair, _ack(pair), _now())
    assert synced is not None and synced.state == SYNCED and synced.synced_at is not None


def test_an_answer_of_an_older_sequence_or_another_command_is_stale() -> None:
    pair = _sent(sequence=3)
    assert acknowledged(pair, replace(_ack(pair), sequence=3), _now()) is None
    assert acknowledged(pair, replace(_ack(pair), command_id="other"), _now()) is None
    assert acknowledged(replace(pair, state=PENDING), _ack(pair), _now()) is None


def test_a_refused_photo_waits_for_a_person_with_the_gates_words() -> None:
    pair = _sent()
    failed = acknowledged(pair, _ack(pair, "failed", PHOTO_REJECTED, photo_problem="no_face", detail="D01E0001"),
                          _now())
    assert failed is not None
    assert (failed.state, failed.reason, failed.photo_problem, failed.detail) == (
        FAILED, PHOTO_REJECTED, "no_face", "D01E0001")
    assert retry_in(failed) is None


def test_a_transient_failure_backs_off_longer_each_time_and_then_is_pending_again() -> None:
    pair = _sent()
    delays = []
    for _ in range(len(BACKOFF_S) + 1):
        failed = acknowledged(pair, _ack(pair, "failed", TIMEOUT), _now())
        assert failed is not None
        delays.append(retry_in(failed))
        again = due_again(failed, failed.sequence)
        assert again is not None and again.state == PENDING
        pair = dispatched(again, f"c-{len(delays)}", _now())
    assert delays == [*BACKOFF_S, BACKOFF_S[-1]]


def test_a_retry_is_spent_once_the_pair_moved_on() -> None:
    pair = _sent()
    failed = acknowledged(pair, _ack(pair, "failed", TIMEOUT), _now())
    assert failed is not None
    assert due_again(failed, failed.sequence - 1) is None
    assert due_again(replace(failed, state=SYNCED), failed.sequence) is None


def test_a_worker_without_a_face_is_revoked_where_sent_before_and_then_waits_for_a_face() -> None:
    never_sent = PairState(wanted=ON)
    assert operation(never_sent, has_face=False) is None
    pair = _sent()
    assert operation(pair, has_face=False) == REVOKE
    waiting = acknowledged(pair, _ack(pair, op=REVOKE), _now())
    assert waiting is not None and (waiting.state, waiting.reason) == (FAILED, FACE_MISSING)


def test_revokes_go_first_and_past_a_full_window_while_enrols_wait_their_turn() -> None:
    t0 = _now()
    candidates = [Candidate("g1", f"w{i}", ON, t0 + timedelta(seconds=i)) for i in range(5)]
    candidates.append(Candidate("g1", "leaver", OFF, t0 + timedelta(seconds=60)))
    candidates.append(Candidate("g2", "other", ON, t0 + timedelta(seconds=90)))
    chosen = choose(candidates, {"g1": 1}, window=3)
    # in flight 1 + the revoke 1: room for one enrol on g1
    assert [c.worker_id for c in chosen] == ["leaver", "w0", "other"]


def test_a_full_window_on_one_gate_holds_back_no_other_gate() -> None:
    t0 = _now()
    chosen = choose([Candidate("g1", "a", ON, t0), Candidate("g2", "b", ON, t0)], {"g1": 3}, window=3)
    assert [c.gate_id for c in chosen] == ["g2"]


def test_every_reason_tells_a_person_what_to_do_in_both_languages() -> None:
    for reason in (*REASONS, FACE_MISSING):
        zh, en = WHAT_TO_DO[reason]
        assert zh and en
    assert words(SYNCED, None)[1] == "On the gate as wanted."


def test_drift_finds_missing_extra_and_stale_faces() -> None:
    found = drift({"1": "a", "2": "b", "3": "c"}, {"2": "b", "3": "old", "9": ""})
    assert (found.missing, found.extra, found.stale_faces) == (frozenset("1"), frozenset("9"), frozenset("3"))
    assert found.enrol_again == frozenset({"1", "3"})


def test_a_command_or_punch_never_shows_its_photo_in_a_repr() -> None:
    command = Command(command_id="c", op=ENROL, device="SN1", worker_key="1", face_jpeg="SECRETFACE")
    punch = Punch(device="SN1", worker_key="1", at="2026-12-05T08:00:00+08:00", event_key="k", photo_jpeg="SECRETPIC")
    assert "SECRETFACE" not in repr(command) and "SECRETPIC" not in repr(punch)
