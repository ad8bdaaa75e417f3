"""The identity consumer: card reads from the edge-readers, and verifications falling due (R1-R3).

``card.read`` comes from an employer's reader over its own broker account: the broker vouches for the account
(AMQP ``user_id``), and the account says whose reads they are, whatever the payload claims; its key opens the
sealed card (``edge_reads``). A read is stored and
checked; a pending one is then due at once: ``identity.verification_due`` brings every read to the authority (a
new read, one that waited for it, a browser's read), asked outside the inbox transaction (``verification``).
``identity.authority_probe_due`` looks for the authority's early return while it is closed (``probing``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from realname_identity.authority import HttpIdentityAuthority
from realname_identity.edge_reads import RefusedEdgeRead, card_of, plain_reads_until
from realname_identity.models import CardRead, ReaderAccount
from realname_identity.probing import PROBE_EVENT, AuthorityProbe
from realname_identity.reads import IncomingRead, MalformedRead, accept_read, photo_bytes
from realname_identity.verification import DUE_EVENT, Verifier, Wanted, schedule
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import Handler, PoisonMessage, before_transaction, handles_batch
from realname_kit.db import Database
from realname_kit.privacy import shared_keyring
from realname_kit.problems import Problem
from realname_kit.settings import Settings
from realname_kit.timeutil import today_in_china, utcnow


def identity_handlers(settings: Settings) -> Mapping[str, Handler]:
    keyring = shared_keyring(settings)
    authority = HttpIdentityAuthority(settings.value("REALNAME_IDENTITY_AUTHORITY_URL"),
                                      float(settings.value("REALNAME_IDENTITY_AUTHORITY_TIMEOUT")))
    verifier = Verifier(authority, keyring, int(settings.value("REALNAME_IDENTITY_AUTHORITY_CONCURRENCY")))
    probe = AuthorityProbe(verifier, float(settings.value("REALNAME_IDENTITY_AUTHORITY_PROBE_SECONDS")))
    verifier.watch = probe
    plain_until = plain_reads_until(settings)

    def take_card_reads(session: Session, batch: list[Envelope]) -> None:
        now = utcnow()
        for envelope in batch:
            read, new = _accept(session, verifier, envelope, now, plain_until)
            if new and read.status == "pending":  # a known one is already on its way
                schedule(session, read, None)

    def ask_about_due_reads(db: Database, batch: list[Envelope]) -> None:
        verifier.ask_due(db, _wanted(batch), utcnow())

    def record_verdicts(session: Session, batch: list[Envelope]) -> None:
        verifier.record(session, _wanted(batch), utcnow())

    def probe_the_authority(db: Database, batch: list[Envelope]) -> None:
        probe.ask(db, batch, utcnow())

    def record_probe(session: Session, batch: list[Envelope]) -> None:
        probe.record(session, batch, utcnow())

    return {"card.read": handles_batch(take_card_reads),
            DUE_EVENT: before_transaction(ask_about_due_reads)(handles_batch(record_verdicts)),
            PROBE_EVENT: before_transaction(probe_the_authority)(handles_batch(record_probe))}


def _wanted(batch: list[Envelope]) -> Wanted:
    attempts = (e.data.get("attempts") for e in batch)
    return {str(e.data.get("read_id")): a if isinstance(a, int) else None for e, a in zip(batch, attempts, strict=True)}


def _accept(session: Session, verifier: Verifier, envelope: Envelope, now: datetime,
            plain_until: datetime | None) -> tuple[CardRead, bool]:
    account = _account_of(session, envelope)
    read_id = str(envelope.data.get("read_id"))
    try:
        card = card_of(verifier.keyring, account, read_id, envelope.data, now=now, plain_until=plain_until)
        read_at = datetime.fromisoformat(envelope.occurred_at)
        incoming = IncomingRead(read_id=read_id, employer_id=account.employer_id, source="edge",
                                sender=account.username, read_at=read_at if read_at.tzinfo else now,
                                card=card, photo=photo_bytes(card.get("photo")))
        return accept_read(session, verifier.keyring, incoming, today_in_china(), now)
    except RefusedEdgeRead as exc:
        raise PoisonMessage(f"card.read {envelope.id} refused, {exc}") from exc
    except (KeyError, ValueError, MalformedRead) as exc:
        raise PoisonMessage(f"card.read {envelope.id} is not a card read: {exc}") from exc
    except Problem as exc:
        raise PoisonMessage(f"card.read {envelope.id}: {exc.reason}") from exc


def _account_of(session: Session, envelope: Envelope) -> ReaderAccount:
    """The reader account that published the read, which names its employer (the payload's claim is not trusted)."""
    if not envelope.sender:
        raise PoisonMessage("card.read without the publishing account (user_id): refused")
    account = session.get(ReaderAccount, envelope.sender)
    if account is None or account.revoked_at is not None:
        raise PoisonMessage(f"card.read from {envelope.sender!r}, which is no active reader account")
    claimed = envelope.data.get("employer_id")
    if claimed is not None and claimed != account.employer_id:
        raise PoisonMessage(f"card.read from {envelope.sender!r} claims another employer's read")
    return account
