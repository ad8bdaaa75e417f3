"""A ZKTeco terminal's waiting commands: who goes first, how much fits one answer, how returns become one Ack."""

from __future__ import annotations

import base64
import re

from realname_codes.gate_protocol import DEVICE_FULL, DIGEST, DONE, ENROL, FAILED, REVOKE, Ack, Command
from realname_edge.gates.zkteco import lines
from realname_edge.gates.zkteco.queue import MAX_ANSWER_BYTES, DeviceQueue
from realname_edge.gates.zkteco.steps import steps_for

PHOTO_B64 = base64.b64encode(bytes(100 * 1024)).decode()  # the largest photo the platform sends


def command(op: str, key: str, sequence: int = 1, photo: str | None = PHOTO_B64) -> Command:
    return Command(f"{op}-{key}-{sequence}", op, "SN1", sequence, worker_key=key, name="张三", face_jpeg=photo)


def queued(queue: DeviceQueue, cmd: Command) -> Command:
    steps = steps_for(cmd, 8)
    assert isinstance(steps, list)
    queue.put(cmd, steps)
    return cmd


def ack_after(queue: DeviceQueue, device_id: str, code: str) -> Ack | None:
    result = queue.returned(device_id, code)
    assert result is not None, "a return for a command the queue sent"
    return result[1]


def ids(taken: list[str]) -> list[str]:
    return [re.match(r"C:(\d+):", line).group(1) for line in taken]  # type: ignore[union-attr]


def test_a_revoke_queued_behind_a_hundred_enrols_is_in_the_first_answer_first() -> None:
    queue = DeviceQueue("SN1")
    for i in range(100):
        queued(queue, command(ENROL, str(1000 + i)))
    queued(queue, command(REVOKE, "2000"))
    first = queue.take()
    assert first[0].endswith(":DATA DELETE USERINFO PIN=2000")
    assert "DATA UPDATE USERINFO PIN=1000\t" in first[1]


def test_an_answer_stays_within_900_kb_and_holds_whole_enrols() -> None:
    queue = DeviceQueue("SN1")
    for i in range(20):
        queued(queue, command(ENROL, str(1000 + i)))
    answers = []
    while taken := queue.take():
        answers.append(taken)
    assert all(sum(len(line.encode()) + 2 for line in a) <= MAX_ANSWER_BYTES for a in answers)
    assert all(len(a) % 2 == 0 for a in answers)  # person and face travel together
    assert sum(len(a) for a in answers) == 40


def test_an_enrol_is_done_when_both_its_steps_are_and_failed_at_the_first_failure() -> None:
    queue = DeviceQueue("SN1")
    ok, full = queued(queue, command(ENROL, "1")), queued(queue, command(ENROL, "2"))
    person1, face1, person2, face2 = ids(queue.take())
    assert ack_after(queue, person1, "0") is None
    done = ack_after(queue, face1, "0")
    assert done is not None and (done.command_id, done.outcome) == (ok.command_id, DONE)
    failed = ack_after(queue, person2, "-1001")
    assert failed is not None and (failed.command_id, failed.outcome, failed.reason) == (
        full.command_id, FAILED, DEVICE_FULL)
    assert queue.returned(face2, "-10") is None  # decided already: the later step's return changes nothing


def test_an_enrol_still_waiting_is_dropped_when_a_newer_revoke_of_the_same_worker_arrives() -> None:
    queue = DeviceQueue("SN1")
    stale = queued(queue, command(ENROL, "1", sequence=1))
    steps = steps_for(command(REVOKE, "1", sequence=2), 8)
    assert isinstance(steps, list)
    assert queue.put(command(REVOKE, "1", sequence=2), steps) == [stale]
    assert [line.split(":", 2)[2] for line in queue.take()] == [lines.delete_command("1")]


def test_commands_a_terminal_took_away_without_answering_are_sent_again_after_it_went_offline() -> None:
    queue = DeviceQueue("SN1")
    queued(queue, command(REVOKE, "1"))
    first = queue.take()
    assert queue.take() == []
    assert queue.requeue_unanswered() == 1
    again = queue.take()
    assert [line.split(":", 2)[2] for line in again] == [line.split(":", 2)[2] for line in first]
    assert queue.returned(ids(first)[0], "0") is None  # the old delivery's return is no longer ours


def test_a_pin_that_is_not_digits_is_refused_before_it_reaches_the_terminal() -> None:
    ack = steps_for(command(ENROL, "A-17"), 8)
    assert not isinstance(ack, list)
    assert (ack.outcome, ack.reason) == (FAILED, "bad_parameters")


def test_a_digest_ends_an_answer_so_that_two_digests_never_mix_their_uploads() -> None:
    queue = DeviceQueue("SN1")
    for n in (1, 2):
        digest = Command(f"digest-{n}", DIGEST, "SN1")
        steps = steps_for(digest, 8)
        assert isinstance(steps, list)
        queue.put(digest, steps)
    assert [line.split(":", 2)[2] for line in queue.take()] == [lines.QUERY_PEOPLE, lines.QUERY_FACES]
    assert len(queue.take()) == 2


def test_a_waiting_enrol_shows_no_photo_in_a_repr() -> None:
    queue = DeviceQueue("SN1")
    queued(queue, command(ENROL, "1"))
    assert PHOTO_B64[:40] not in repr(queue)
    assert PHOTO_B64[:40] not in repr(queue._heap[0][2])
