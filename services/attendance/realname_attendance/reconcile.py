"""Reconciliation: a gate's own list compared with what the platform wants on it, and the drift repaired.

Asked by ``digest`` (``reconcile_gates``, a chore); the answer's ``people`` come back with ``gate.acknowledged``.
Only settled pairs are compared (synced, or wanted off and revoked): a pair on its way is left to its command.
Missing or stale face → enrolled again; on the gate but not wanted → revoked (a worker we know gets a pair wanted
off; a key we never gave out is kept on the reconciliation and revoked by the chore). Counted on the row.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.models import Gate, GatePerson, Reconciliation, Worker
from realname_attendance.pairs import state_of, write
from realname_attendance.rules.drift import drift
from realname_attendance.rules.whitelist import OFF, ON, SYNCED, want
from realname_codes.gate_protocol import DONE, Ack, Digest
from realname_kit.logs import get_logger
from realname_kit.timeutil import utcnow

log = get_logger(__name__)


def wanted_on(session: Session, gate_id: str) -> dict[str, str]:
    """Worker key → face hash of the pairs settled on the gate: what a digest asks the gate to hold."""
    rows = session.execute(select(Worker.key, GatePerson.face_sha256).join(
        Worker, Worker.worker_id == GatePerson.worker_id).where(
        GatePerson.gate_id == gate_id, GatePerson.wanted == ON, GatePerson.state == SYNCED))
    return {str(key): sha or "" for key, sha in rows}


def digest_answered(session: Session, gate: Gate, ack: Ack) -> None:
    asked = session.scalars(select(Reconciliation).where(
        Reconciliation.command_id == ack.command_id, Reconciliation.gate_id == gate.id).with_for_update()).first()
    if asked is None or asked.answered_at is not None:
        log.info("gate_ack_stale", gate_id=gate.id, command_id=ack.command_id, op=ack.op, stale=1)
        return
    asked.answered_at = utcnow()
    if ack.outcome != DONE:
        log.warning("gate_digest_failed", gate_id=gate.id, reason=ack.reason)
        return
    pairs = {r.worker_id: r for r in session.scalars(select(GatePerson).where(GatePerson.gate_id == gate.id)
                                                      .with_for_update())}
    keys = dict(session.execute(select(Worker.key, Worker.worker_id).where(
        Worker.worker_id.in_(list(pairs)))).tuples().all()) if pairs else {}
    unsettled = {str(k) for k, w in keys.items() if not _settled(pairs[w])}
    held = {k: v for k, v in Digest.of(ack.people).people.items() if k not in unsettled}
    found = drift(wanted_on(session, gate.id), held)
    for key in found.enrol_again:
        row = pairs[keys[int(key)]]
        write(row, want(state_of(row), ON, again=True) or state_of(row))
    strangers = _revoke_extras(session, gate.id, found.extra, pairs)
    asked.missing, asked.extra, asked.stale_faces = len(found.missing), len(found.extra), len(found.stale_faces)
    asked.revoke_keys = sorted(strangers) or None  # SQL NULL: nothing left for the chore
    log.info("gate_reconciled", gate_id=gate.id, missing=asked.missing, extra=asked.extra,
             stale_faces=asked.stale_faces)


def _settled(row: GatePerson) -> bool:
    return row.state == SYNCED


def _revoke_extras(session: Session, gate_id: str, extra: frozenset[str], pairs: dict[str, GatePerson]) -> set[str]:
    """Pairs wanted off for the workers we know; the keys we never gave out, returned (revoked by the chore)."""
    numeric = [int(k) for k in extra if k.isdigit() and len(k) < 19]
    known = dict(session.execute(select(Worker.key, Worker.worker_id).where(Worker.key.in_(numeric))).tuples().all())
    for worker_id in known.values():
        row = pairs.get(worker_id)
        new = want(state_of(row) if row else None, OFF, again=True)
        if row is None:
            row = GatePerson(gate_id=gate_id, worker_id=worker_id)
            session.add(row)
        if new is not None:
            write(row, new)
    return {k for k in extra if not (k.isdigit() and len(k) < 19 and int(k) in known)}
