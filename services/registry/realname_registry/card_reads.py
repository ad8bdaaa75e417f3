"""Card reads verified or rejected by the identity service (R1–R3), as the registry uses them.

A verified read is kept so that a registration can take its fields as they are (they cannot be typed
over); it also verifies a worker registered by hand with the same number. A rejected read marks such a
worker ``rejected`` with the authority's reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import Handler, PoisonMessage
from realname_kit.privacy import Keyring
from realname_kit.settings import Settings
from realname_registry.context import keyring_for
from realname_registry.models import ID_NUMBER, OUTBOX, READ_ID_NUMBER, CardRead, Worker
from realname_registry.workers.events import worker_updated
from realname_registry.workers.history import record_history

IDENTITY_FIELDS = ("name", "sex", "ethnicity", "birth_date", "address", "issuing_authority")


def identity_handlers(settings: Settings) -> Mapping[str, Handler]:
    keyring = keyring_for(settings)
    return {"identity.verified": _bound(learn_verified_read, keyring),
            "identity.rejected": _bound(learn_rejected_read, keyring)}


def _bound(handler: Callable[[Session, Envelope, Keyring], None], keyring: Keyring) -> Handler:
    def handle(session: Session, event: Envelope) -> None:
        handler(session, event, keyring)
    handle.__name__ = handler.__name__
    return handle


def learn_verified_read(session: Session, event: Envelope, keyring: Keyring) -> None:
    read = _read_from(event.data, keyring)
    if session.get(CardRead, read.id) is None:
        session.add(read)
    worker = session.scalars(select(Worker).where(Worker.id_number_bidx == read.id_number_bidx)).first()
    if worker is not None and worker.identity_status != "verified":
        _verify(session, keyring, worker, read)


def learn_rejected_read(session: Session, event: Envelope, keyring: Keyring) -> None:
    data = event.data
    try:
        number, reason = str(data["id_number"]), str(data["reason"])
    except KeyError as exc:
        raise PoisonMessage(f"identity.rejected without {exc}") from exc
    worker = session.scalars(select(Worker).where(Worker.id_number_bidx == ID_NUMBER.index(keyring, number))).first()
    if worker is None or worker.identity_status == "verified":
        return  # a verified person stays verified: a bad read of their card says nothing about them
    if (worker.identity_status, worker.identity_reason) == ("rejected", reason):
        return
    record_history(session, worker, None, "identity_rejected", actor="identity", actor_enterprise_id=None,
                   changes={"identity_status": [worker.identity_status, "rejected"],
                            "identity_reason": [worker.identity_reason, reason]})
    worker.identity_status, worker.identity_reason = "rejected", reason
    worker.version += 1
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
    worker.version += 1
    record_history(session, worker, None, "identity_verified", actor="identity", actor_enterprise_id=None,
                   changes=changes)
    OUTBOX.record(session, "worker.updated", worker_updated(keyring, worker, sorted(changes)))


def _read_from(data: Mapping[str, Any], keyring: Keyring) -> CardRead:
    try:
        valid_to = data.get("valid_to")
        return CardRead(
            id=str(data["read_id"]), employer_id=str(data["employer_id"]), name=str(data["name"]),
            sex=str(data["sex"]), ethnicity=str(data["ethnicity"]),
            birth_date=date.fromisoformat(str(data["birth_date"])), address=str(data["address"]),
            issuing_authority=str(data["issuing_authority"]),
            valid_from=date.fromisoformat(str(data["valid_from"])),
            valid_to=date.fromisoformat(str(valid_to)) if valid_to else None,
            verified_at=datetime.fromisoformat(str(data["verified_at"])),
            **READ_ID_NUMBER.seal(keyring, str(data["id_number"])))
    except (KeyError, ValueError) as exc:
        raise PoisonMessage(f"identity.verified without a valid {exc}") from exc


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
