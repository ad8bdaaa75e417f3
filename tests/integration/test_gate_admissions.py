"""Admissions learnt from the assignment service's events, and the pairs they want (R23, R26): idempotent and safe
out of order, on the real database."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from realname_attendance.admissions import assignment_accepted, assignment_exited
from realname_attendance.models import Admission, Gate, GatePerson, Worker
from realname_codes.gate_protocol import NATIVE
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage
from realname_kit.timeutil import utcnow
from tests.support.stack import Stack

PROJECT = "p-1"


@pytest.fixture
def db_stack(stack: Stack) -> Stack:
    stack.migrate("attendance")
    return stack


def _gate(stack: Stack, *, enabled: bool = True) -> str:
    gate_id = str(uuid.uuid4())
    with stack.db("attendance").transaction() as session:
        session.add(Gate(id=gate_id, project_id=PROJECT, kind=NATIVE, serial=f"SN-{gate_id[:8]}", direction="both",
                         name="门", created_by="test", enabled=enabled))
    return gate_id


def _event(kind: str, assignment_id: str, worker_id: str, **data: object) -> Envelope:
    return Envelope(type=f"assignment.{kind}", source="assignment", data={
        "assignment_id": assignment_id, "project_id": PROJECT, "worker_id": worker_id, "employer_id": "e-1",
        **data})


def _handle(stack: Stack, event: Envelope) -> None:
    handler = assignment_accepted if event.type == "assignment.accepted" else assignment_exited
    with stack.db("attendance").transaction() as session:
        handler(session, event)


def _pairs(stack: Stack, worker_id: str) -> dict[str, tuple[str, str]]:
    with stack.db("attendance").transaction() as session:
        return {p.gate_id: (p.wanted, p.state) for p in session.scalars(
            select(GatePerson).where(GatePerson.worker_id == worker_id))}


def test_an_acceptance_wants_the_worker_on_every_enabled_gate_once_however_often_it_comes(db_stack: Stack) -> None:
    on, off = _gate(db_stack), _gate(db_stack, enabled=False)
    worker = str(uuid.uuid4())
    accepted = _event("accepted", "a-1", worker, entry_at=utcnow().isoformat())
    _handle(db_stack, accepted)
    _handle(db_stack, accepted)
    assert _pairs(db_stack, worker) == {on: ("on", "pending")}
    assert off not in _pairs(db_stack, worker)
    with db_stack.db("attendance").transaction() as session:
        assert session.scalars(select(Worker.key).where(Worker.worker_id == worker)).one() > 0


def test_an_exit_seen_before_its_acceptance_stays_an_exit(db_stack: Stack) -> None:
    _gate(db_stack)
    worker, exited_at = str(uuid.uuid4()), utcnow()
    _handle(db_stack, _event("exited", "a-2", worker, cause="exit", exited_at=exited_at.isoformat()))
    _handle(db_stack, _event("accepted", "a-2", worker, entry_at=(exited_at - timedelta(days=3)).isoformat()))
    assert _pairs(db_stack, worker) == {}
    with db_stack.db("attendance").transaction() as session:
        admission = session.get(Admission, "a-2")
        assert admission is not None and admission.status == "exited"
        assert session.scalars(select(Worker.last_exit_at).where(Worker.worker_id == worker)).one() == exited_at


def test_a_worker_still_admitted_by_another_assignment_stays_on_the_gates(db_stack: Stack) -> None:
    gate = _gate(db_stack)
    worker = str(uuid.uuid4())
    for assignment in ("a-3", "a-4"):
        _handle(db_stack, _event("accepted", assignment, worker, entry_at=utcnow().isoformat()))
    _handle(db_stack, _event("exited", "a-3", worker, cause="exit", exited_at=utcnow().isoformat()))
    assert _pairs(db_stack, worker) == {gate: ("on", "pending")}
    _handle(db_stack, _event("exited", "a-4", worker, cause="exit", exited_at=utcnow().isoformat()))
    assert _pairs(db_stack, worker) == {gate: ("off", "pending")}


def test_an_acceptance_without_a_confirmed_entry_opens_no_gate(db_stack: Stack) -> None:
    _gate(db_stack)
    worker = str(uuid.uuid4())
    _handle(db_stack, _event("accepted", "a-5", worker))
    assert _pairs(db_stack, worker) == {}


def test_an_event_without_its_ids_or_with_a_bad_instant_is_dead_lettered(db_stack: Stack) -> None:
    with pytest.raises(PoisonMessage):
        _handle(db_stack, Envelope(type="assignment.accepted", source="assignment", data={"worker_id": "w"}))
    with pytest.raises(PoisonMessage):
        _handle(db_stack, _event("accepted", "a-6", "w", entry_at="yesterday"))
