"""The attendance consumer's handlers and queues for the whitelist (R23, R26): admissions from the assignment
service, gate and face changes (attendance's own events) with retries falling due, and the gates' answers."""

from __future__ import annotations

from realname_attendance.acks import gate_acknowledged
from realname_attendance.admissions import assignment_accepted, assignment_exited
from realname_attendance.punch_posts import PUNCH_POSTED
from realname_attendance.reactions import WHITELIST_HANDLERS
from realname_attendance.rules.whitelist import BACKOFF_S
from realname_codes.gate_protocol import ACKNOWLEDGED, PUNCHED
from realname_kit.bus.processing import Handler
from realname_kit.bus.topology import Binding, QueueSpec

# The publisher of everything gates and site bridges send (each with its own broker account).
GATES = "gates"

WHITELIST_QUEUES = (
    QueueSpec("attendance", "admissions", (Binding("assignment", "assignment.accepted"),
                                           Binding("assignment", "assignment.exited"))),
    QueueSpec("attendance", "whitelist", tuple(Binding("attendance", t) for t in WHITELIST_HANDLERS),
              waits=BACKOFF_S),  # a transient failure is tried again after these delays
    QueueSpec("attendance", "gate-acks", (Binding(GATES, ACKNOWLEDGED),)),
    QueueSpec("attendance", "punches", (Binding(GATES, PUNCHED),)),  # R27: kept once, judged, by the batch
    # Punches posted over HTTPS by a signed device (punch_posts): a queue of their own, bound to attendance's own
    # exchange only, so that no device can pass a gate.punched off as one and name another sender.
    QueueSpec("attendance", "posted-punches", (Binding("attendance", PUNCH_POSTED),)),
)

HANDLERS: dict[str, Handler] = {
    "assignment.accepted": assignment_accepted,
    "assignment.exited": assignment_exited,
    **WHITELIST_HANDLERS,
    ACKNOWLEDGED: gate_acknowledged,
}  # punches: punch_intake.punch_handlers (they need the data keyring for their photos)
