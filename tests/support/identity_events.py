"""The identity service's answers about a card read, handed to the registry's handlers as its consumer would.

The handler runs in a transaction of its own on the real database, exactly as the consumer runs it after its
inbox check; tests that need the broker in between publish instead (``test_identity_reads_in_registry``).
"""

from __future__ import annotations

import uuid
from typing import Any

from realname_kit.bus.envelope import Envelope
from realname_kit.db import Database
from realname_kit.settings import Settings
from realname_registry.card_reads import identity_handlers

CARD = {"sex": "male", "ethnicity": "01", "birth_date": "1985-03-15", "address": "上海市徐汇区漕溪北路1号",
        "issuing_authority": "上海市公安局徐汇分局", "valid_from": "2016-05-01", "valid_to": "2036-05-01",
        "card_serial": None}


def read_of(employer_id: str, number: str, name: str, **card: Any) -> dict[str, Any]:
    """A read as ``identity.read_pending`` announces it (``verified_at`` makes it an ``identity.verified``)."""
    return {"read_id": str(uuid.uuid4()), "employer_id": employer_id, "id_number": number, "name": name,
            **CARD, **card, "received_at": "2026-11-21T02:00:00+00:00"}


def verified(read: dict[str, Any]) -> dict[str, Any]:
    return {**read, "verified_at": "2026-11-21T02:00:03+00:00"}


def rejected(read: dict[str, Any], reason: str) -> dict[str, Any]:
    return {"read_id": read["read_id"], "employer_id": read["employer_id"], "id_number": read["id_number"],
            "reason": reason, "message": "The authority says no", "message_zh": "核验未通过",
            "rejected_at": "2026-11-21T02:00:03+00:00"}


def deliver(settings: Settings, db: Database, event_type: str, data: dict[str, Any]) -> None:
    """Handle one identity event in the registry, in one transaction, as the consumer does."""
    handle = identity_handlers(settings)[event_type]
    with db.transaction() as session:
        handle(session, Envelope(type=event_type, source="identity", data=data))
