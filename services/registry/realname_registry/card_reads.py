"""Card reads announced by the identity service (R1–R3), as the registry uses them.

A read is kept from the moment it waits for the authority (``identity.read_pending``), so that a registration
can take its fields as they are (they cannot be typed over) even on a weekend (R3); the worker is then
``unverified`` until the read is. A verified read verifies the worker registered from it, or by hand, with the
same number (``workers.registration`` links a read that came first). A rejected read can fill nothing in
any more, and marks such a worker ``rejected`` with the authority's reason. Only a read of the worker's own
employer does either (R1, R12, ``rules.card_read_owner``); another enterprise's is noted, never applied
(``workers.foreign_reads``). The worker is taken with the lock every change of a worker takes (``workers.locking``).

The events may meet the registry out of order (a redelivery): a read never goes back to ``pending``. Their card
fields come sealed with the data keyring (version 2, PIPL), or in clear from an identity service of before that
(version 1, still read during an upgrade): ``card_read_data`` opens either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import Handler, PoisonMessage
from realname_kit.privacy import Keyring, SealedFields, TamperedValueError
from realname_kit.settings import Settings
from realname_registry.context import keyring_for
from realname_registry.models import ID_NUMBER, OUTBOX, READ_ID_NUMBER, CardRead, Worker
from realname_registry.workers.events import worker_updated
from realname_registry.workers.foreign_reads import decided_by
from realname_registry.workers.history import record_history
from realname_registry.workers.locking import changed, lock_worker

IDENTITY_FIELDS = ("name", "sex", "ethnicity", "birth_date", "address", "issuing_authority")
CARD_FIELDS = ("id_number", *IDENTITY_FIELDS, "valid_from", "valid_to", "card_serial")
SEALED = {"identity.read_pending": SealedFields("identity.read_pending", CARD_FIELDS),
          "identity.verified": SealedFields("identity.verified", CARD_FIELDS),
          "identity.rejected": SealedFields("identity.rejected", ("id_number",))}
PLAIN_VERSION, SEALED_VERSION = 1, 2


def identity_handlers(settings: Settings) -> Mapping[str, Handler]:
    keyring = keyring_for(settings)
    return {"identity.read_pending": _bound(learn_pending_read, keyring),
            "identity.verified": _bound(learn_verified_read, keyring),
            "identity.rejected": _bound(learn_rejected_read, keyring)}


def _bound(handler: Callable[[Session, Envelope, Keyring], None], keyring: Keyring) -> Handler:
    def handle(session: Session, event: Envelope) -> None:
        handler(session, event, keyring)
    handle.__name__ = handler.__name__
    return handle


def learn_pending_read(session: Session, event: Envelope, keyring: Keyring) -> None:
    read = _read_from(card_read_data(event, keyring), keyring, "pending")
    if session.get(CardRead, read.id) is None:
        session.add(read)


def learn_verified_read(session: Session, event: Envelope, keyring: Keyring) -> None:
    read = _read_from(card_read_data(event, keyring), keyring, "verified")
    known = session.get(CardRead, read.id, with_for_update=True)  # a registration from it holds it (R3)
    if known is None:
        session.add(read)
    elif known.status != "verified":
        known.status, known.reason, known.verified_at = "verified", None, read.verified_at
        read = known
    worker = lock_worker(session, Worker.id_number_bidx == read.id_number_bidx)
    if worker is None or not decided_by(session, worker, read.id, read.employer_id,
                                        {"result": "verified", "differs_in": _differing(worker, read)}):
        return  # R1, R12: another enterprise's read of the card verifies nothing and writes nothing over
    if worker.identity_status != "verified":
        _verify(session, keyring, worker, read)


def learn_rejected_read(session: Session, event: Envelope, keyring: Keyring) -> None:
    data = card_read_data(event, keyring)
    try:
        number, reason, read_employer_id = str(data["id_number"]), str(data["reason"]), str(data["employer_id"])
    except KeyError as exc:
        raise PoisonMessage(f"identity.rejected without {exc}") from exc
    known = session.get(CardRead, str(data.get("read_id")), with_for_update=True)
    if known is not None and known.status == "pending":
        known.status, known.reason = "rejected", reason
    worker = lock_worker(session, Worker.id_number_bidx == ID_NUMBER.index(keyring, number))
    if worker is None or not decided_by(session, worker, str(data.get("read_id")), read_employer_id,
                                        {"result": "rejected", "reason": reason}):
        return  # R1, R12: another enterprise's bad read of the card rejects nothing
    if worker.identity_status == "verified":
        return  # a verified person stays verified: a bad read of their card says nothing about them
    if (worker.identity_status, worker.identity_reason) == ("rejected", reason):
        return
    record_history(session, worker, None, "identity_rejected", actor="identity", actor_enterprise_id=None,
                   changes={"identity_status": [worker.identity_status, "rejected"],
                            "identity_reason": [worker.identity_reason, reason]})
    worker.identity_status, worker.identity_reason = "rejected", reason
    changed(worker)
    OUTBOX.record(session, "worker.updated", worker_updated(keyring, worker, ["identity_status"]))


def _verify(session: Session, keyring: Keyring, worker: Worker, read: CardRead) -> None:
    changes: dict[str, list[Any]] = {"identity_status": [worker.identity_status, "verified"]}
    for name in IDENTITY_FIELDS:
        before, after = getattr(worker, name), getattr(read, name)
        if before != after:
            changes[name] = [_plain(before), _plain(after)]
            setattr(worker, name, after)
    worker.card_valid_from, worker.card_valid_to = read.valid_from, read.valid_to
    worker.identity_status, worker.identity_reason, worker.card_read_id = "verified", None, read.id
    changed(worker)
    record_history(session, worker, None, "identity_verified", actor="identity", actor_enterprise_id=None,
                   changes=changes)
    OUTBOX.record(session, "worker.updated", worker_updated(keyring, worker, sorted(changes)))


def _differing(worker: Worker, read: CardRead) -> list[str]:
    """The card's fields in which a read differs from the worker's (names only: the values are the reader's)."""
    pairs = [(name, getattr(worker, name), getattr(read, name)) for name in IDENTITY_FIELDS]
    pairs += [("valid_from", worker.card_valid_from, read.valid_from),
              ("valid_to", worker.card_valid_to, read.valid_to)]
    return [name for name, ours, theirs in pairs if ours != theirs]


def card_read_data(event: Envelope, keyring: Keyring) -> dict[str, Any]:
    """The event's data with the card's fields in clear, from either version.

    A sealed value that does not open (altered, another event's) can never succeed: a poison message. A key the
    keyring does not hold yet (a rotation still rolling out) raises ``UnknownKeyError``: retried, then dead-lettered.
    """
    if event.version == PLAIN_VERSION and not SEALED[event.type].is_sealed(event.data):
        return dict(event.data)
    if event.version != SEALED_VERSION:
        raise PoisonMessage(f"{event.type} v{event.version} is not understood (v{PLAIN_VERSION}, v{SEALED_VERSION})")
    try:
        return SEALED[event.type].open(keyring, event.data)
    except TamperedValueError as exc:
        raise PoisonMessage(f"{event.type} {event.id}: {exc}") from exc


def _read_from(data: Mapping[str, Any], keyring: Keyring, status: str) -> CardRead:
    try:
        valid_to, verified_at = data.get("valid_to"), data.get("verified_at")
        return CardRead(
            id=str(data["read_id"]), employer_id=str(data["employer_id"]), name=str(data["name"]),
            sex=str(data["sex"]), ethnicity=str(data["ethnicity"]),
            birth_date=date.fromisoformat(str(data["birth_date"])), address=str(data["address"]),
            issuing_authority=str(data["issuing_authority"]),
            valid_from=date.fromisoformat(str(data["valid_from"])),
            valid_to=date.fromisoformat(str(valid_to)) if valid_to else None,
            status=status, verified_at=datetime.fromisoformat(str(verified_at)) if status == "verified" else None,
            **READ_ID_NUMBER.seal(keyring, str(data["id_number"])))
    except (KeyError, ValueError) as exc:
        raise PoisonMessage(f"identity.{status} without a valid {exc}") from exc


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
