"""A project with face gates for whitelist tests: rows in the attendance database, a broker account and a
``GateResponder`` per gate, and the events the other services would send (published as they would be)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kombu import Connection, Exchange, Queue
from sqlalchemy import select

from realname_attendance.models import FACE_PHOTO_CONTEXT, OUTBOX, Face, Gate, GatePerson, Project, Worker
from realname_codes.gate_protocol import NATIVE, command_queue, command_queue_arguments, commands_exchange
from realname_edge.gate_sims.device import SimulatedDevice
from realname_kit.bus.envelope import Envelope
from realname_kit.privacy.blobs import seal_bytes
from realname_kit.privacy.keyring import shared_keyring
from realname_kit.timeutil import utcnow
from tests.support.gate_responder import GateResponder, gate_account
from tests.support.stack import Stack

FACES = Path(__file__).parent / "faces"


def photo(name: str = "astronaut.jpg") -> bytes:
    return (FACES / name).read_bytes()


@dataclass
class Site:
    stack: Stack
    project_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    employer_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    responders: dict[str, GateResponder] = field(default_factory=dict)  # by gate id
    devices: dict[str, SimulatedDevice] = field(default_factory=dict)  # by gate id
    assignments: dict[str, str] = field(default_factory=dict)  # worker id → assignment id

    def __post_init__(self) -> None:
        with self.stack.db("attendance").transaction() as session:
            session.add(Project(id=self.project_id, general_contractor_id=str(uuid.uuid4()), name="浦东某项目"))

    def gate(self, name: str, *, online: bool = True) -> str:
        """A native gate with live credentials and its simulated terminal answering on the broker."""
        serial = f"SN{uuid.uuid4().hex[:10].upper()}"
        account, url = gate_account(self.stack.amqp, self.stack.settings.bus_prefix, f"gate-{serial.lower()}")
        self._declare_queue(account)
        gate_id = str(uuid.uuid4())
        with self.stack.db("attendance").transaction() as session:
            session.add(Gate(id=gate_id, project_id=self.project_id, kind=NATIVE, serial=serial, direction="both",
                             name=name, account=account, created_by="test", reported_online=online,
                             last_contact_at=utcnow()))
        device = SimulatedDevice(serial)
        self.devices[gate_id] = device
        self.responders[gate_id] = GateResponder(url, account, self.stack.settings.bus_prefix,
                                                 {serial: device}).start()
        return gate_id

    def _declare_queue(self, account: str) -> None:
        """As the devices part does when it issues a gate's credentials."""
        prefix = self.stack.settings.bus_prefix
        exchange = Exchange(commands_exchange(prefix), type="direct", durable=True)
        with Connection(self.stack.amqp) as conn:
            exchange(conn.default_channel).declare()
            Queue(command_queue(account, prefix), exchange=exchange, routing_key=account, durable=True,
                  queue_arguments=command_queue_arguments())(conn.default_channel).declare()

    # --- what other services tell attendance ------------------------------------------------------------------

    def admit(self, worker_id: str) -> None:
        assignment_id = self.assignments.setdefault(worker_id, str(uuid.uuid4()))
        self.assignment_event("assignment.accepted", {
            "assignment_id": assignment_id, "project_id": self.project_id, "contract_id": None,
            "worker_id": worker_id, "employer_id": self.employer_id, "team_id": None, "status": "accepted",
            "version": 2, "entry_at": utcnow().isoformat()})

    def exit(self, worker_id: str) -> None:
        self.assignment_event("assignment.exited", {
            "assignment_id": self.assignments[worker_id], "project_id": self.project_id, "worker_id": worker_id,
            "employer_id": self.employer_id, "cause": "exit", "exited_at": utcnow().isoformat()})

    def assignment_event(self, event_type: str, data: dict[str, Any]) -> None:
        envelope = Envelope(type=event_type, source="assignment", data=data)
        with Connection(self.stack.amqp) as conn:
            producer = conn.Producer(serializer="json")
            producer.publish(envelope.to_json(), exchange=self.stack.topology.exchange("assignment"),
                             routing_key=event_type, content_type="application/json", delivery_mode=2)

    def face(self, worker_id: str, jpeg: bytes) -> str:
        """A face uploaded (as the faces part records it, with its event): its hash."""
        sha = hashlib.sha256(jpeg).hexdigest()
        with self.stack.db("attendance").transaction() as session:
            face = session.get(Face, worker_id)
            if face is None:
                face = Face(worker_id=worker_id, uploaded_by="test")
                session.add(face)
            face.photo_enc = seal_bytes(shared_keyring(self.stack.settings), jpeg, FACE_PHOTO_CONTEXT)
            face.sha256, face.width, face.height, face.size_bytes = sha, 300, 400, len(jpeg)
            OUTBOX.record(session, "face.recorded", {"worker_id": worker_id, "sha256": sha})
        return sha

    def remove_face(self, worker_id: str) -> None:
        """The face deleted (withdrawn consent, retention), as the faces part records it, with its event."""
        with self.stack.db("attendance").transaction() as session:
            face = session.get(Face, worker_id)
            if face is not None:
                session.delete(face)
            OUTBOX.record(session, "face.removed", {"worker_id": worker_id, "cause": "consent_withdrawn"})

    def event(self, event_type: str, data: dict[str, Any]) -> None:
        """One of attendance's own events (the devices or faces part records them), relayed as usual."""
        with self.stack.db("attendance").transaction() as session:
            OUTBOX.record(session, event_type, data)

    def set_gate(self, gate_id: str, **values: Any) -> None:
        with self.stack.db("attendance").transaction() as session:
            gate = session.get(Gate, gate_id)
            assert gate is not None
            for name, value in values.items():
                setattr(gate, name, value)

    # --- what the platform and the gates now hold ------------------------------------------------------------

    def pair(self, gate_id: str, worker_id: str) -> GatePerson | None:
        with self.stack.db("attendance").transaction() as session:
            row = session.get(GatePerson, (gate_id, worker_id))
            if row is not None:
                session.expunge(row)
            return row

    def state(self, gate_id: str, worker_id: str) -> tuple[str, str, str | None] | None:
        row = self.pair(gate_id, worker_id)
        return (row.wanted, row.state, row.reason) if row is not None else None

    def key(self, worker_id: str) -> str:
        with self.stack.db("attendance").transaction() as session:
            return str(session.scalars(select(Worker.key).where(Worker.worker_id == worker_id)).one())

    def held(self, gate_id: str) -> dict[str, str]:
        return self.devices[gate_id].listing()

    def close(self) -> None:
        for responder in self.responders.values():
            responder.stop()
