"""The dispatcher's choice on the real database: revokes first, each gate within its window, no gate holding back
another. Commands go to a fake sender (the broker's part is tested in test_gate_whitelist)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

import pytest

from realname_attendance.dispatch import Dispatcher
from realname_attendance.models import FACE_PHOTO_CONTEXT, Face, Gate, GatePerson, Worker
from realname_attendance.reconcile_chore import Reconciler
from realname_codes.gate_protocol import ENROL, NATIVE, REVOKE, Command
from realname_kit.privacy.blobs import seal_bytes
from realname_kit.privacy.keyring import shared_keyring
from realname_kit.timeutil import utcnow
from tests.support.gate_site import photo
from tests.support.stack import Stack


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Command]] = []

    def send(self, commands: Sequence[tuple[str, Command]]) -> None:
        self.sent.extend(commands)


@pytest.fixture
def db_stack(stack: Stack) -> Stack:
    stack.migrate("attendance")
    return stack


def _gate(stack: Stack, account: str) -> str:
    gate_id = str(uuid.uuid4())
    with stack.db("attendance").transaction() as session:
        session.add(Gate(id=gate_id, project_id="p-1", kind=NATIVE, serial=f"SN-{gate_id[:8]}", direction="both",
                         name=account, account=account, created_by="test"))
    return gate_id


def _pairs(stack: Stack, gate_id: str, states: Sequence[str], wanted: str = "on", later_s: int = 0) -> list[str]:
    """Workers with a face, each paired with the gate in the given state, oldest first (``later_s`` after the
    others)."""
    workers, start = [], utcnow() - timedelta(minutes=10) + timedelta(seconds=later_s)
    keyring = shared_keyring(stack.settings)
    with stack.db("attendance").transaction() as session:
        for n, state in enumerate(states):
            worker_id = str(uuid.uuid4())
            session.add(Worker(worker_id=worker_id, name=f"工人{n}"))
            face = Face(worker_id=worker_id, sha256="a" * 64, width=300, height=400, size_bytes=1, uploaded_by="test")
            face.photo_enc = seal_bytes(keyring, photo(), FACE_PHOTO_CONTEXT)
            session.add(face)
            session.add(GatePerson(gate_id=gate_id, worker_id=worker_id, wanted=wanted, state=state,
                                   sequence=1 if state == "sent" else 0, updated_at=start + timedelta(seconds=n)))
            workers.append(worker_id)
    return workers


def test_a_gate_with_a_full_window_holds_back_no_other_gate_even_past_the_batch(db_stack: Stack) -> None:
    slow, other = _gate(db_stack, "slow"), _gate(db_stack, "other")
    _pairs(db_stack, slow, ["sent", "sent", "pending", "pending", "pending"])
    waiting = _pairs(db_stack, other, ["pending"], later_s=60)  # behind all the slow gate's
    sender = RecordingSender()
    sent = Dispatcher(db_stack.db("attendance"), sender, shared_keyring(db_stack.settings), window=2, batch=2).round()
    assert sent == 1
    assert [(target, c.op, c.worker_key is not None) for target, c in sender.sent] == [("other", ENROL, True)]
    command = sender.sent[0][1]
    assert command.face_jpeg and command.name == "工人0" and command.sequence == 1
    with db_stack.db("attendance").transaction() as session:
        pair = session.get(GatePerson, (other, waiting[0]))
        assert pair is not None and (pair.state, pair.command_id) == ("sent", command.command_id)


def test_a_revoke_is_sent_first_even_to_a_gate_with_a_full_window(db_stack: Stack) -> None:
    gate = _gate(db_stack, "busy")
    _pairs(db_stack, gate, ["sent", "sent", "pending"])
    _pairs(db_stack, gate, ["pending"], wanted="off", later_s=60)
    sender = RecordingSender()
    Dispatcher(db_stack.db("attendance"), sender, shared_keyring(db_stack.settings), window=2, batch=10).round()
    assert [c.op for _, c in sender.sent] == [REVOKE]
    assert sender.sent[0][1].face_jpeg is None


def test_a_command_an_online_gate_never_answered_is_sent_again_and_the_late_answer_is_stale(db_stack: Stack) -> None:
    gate = _gate(db_stack, "silent")
    lost, recent = _pairs(db_stack, gate, ["sent", "sent"])
    now = utcnow()
    with db_stack.db("attendance").transaction() as session:
        session.get(Gate, gate).reported_online = True  # type: ignore[union-attr]
        for worker, sent_at in ((lost, now - timedelta(minutes=20)), (recent, now - timedelta(minutes=1))):
            pair = session.get(GatePerson, (gate, worker))
            assert pair is not None
            pair.sent_at, pair.command_id = sent_at, str(uuid.uuid4())
    sender = RecordingSender()
    Reconciler(db_stack.db("attendance"), sender, every=timedelta(days=1),
               unanswered_after=timedelta(minutes=15)).round(now)
    Dispatcher(db_stack.db("attendance"), sender, shared_keyring(db_stack.settings), window=5).round()
    resent = [c for _, c in sender.sent if c.op == ENROL]
    assert len(resent) == 1 and resent[0].sequence == 2
    with db_stack.db("attendance").transaction() as session:
        again, waiting = session.get(GatePerson, (gate, lost)), session.get(GatePerson, (gate, recent))
        assert again is not None and again.command_id == resent[0].command_id  # the old command's answer: stale
        assert waiting is not None and waiting.state == "sent"
