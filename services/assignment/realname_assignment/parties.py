"""Parties of contract chains, learned from the registry's ``enterprise.registered`` events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_assignment.models import Party
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage
from realname_kit.db import Database
from realname_kit.pagination import keyset_page
from realname_kit.problems import Problem

# Participating-unit type codes of the national data standard.
UNIT_TYPES = {"specialty": "001", "labour": "006", "general_contractor": "009"}


def learn_enterprise(session: Session, event: Envelope) -> None:
    """Handler of ``enterprise.registered``: one party per enterprise, however often it arrives."""
    data = event.data
    try:
        enterprise_id, kind = str(data["enterprise_id"]), str(data["kind"])
        unit_type = UNIT_TYPES[kind]
        registered_at = datetime.fromisoformat(str(data["registered_at"]))
        name, uscc = str(data["name"]), str(data["uscc"])
    except (KeyError, ValueError) as exc:
        raise PoisonMessage(f"enterprise.registered without a valid {exc}") from exc
    party = session.get(Party, enterprise_id)
    if party is None:
        session.add(Party(enterprise_id=enterprise_id, name=name, uscc=uscc, kind=kind,
                          unit_type=unit_type, registered_at=registered_at))


def list_parties(db: Database, limit: int, cursor: str | None) -> tuple[list[Party], str | None]:
    with db.transaction() as session:
        return keyset_page(session, select(Party), Party.enterprise_id, limit, cursor)


def get_party(db: Database, enterprise_id: str) -> Party:
    with db.transaction() as session:
        party = session.get(Party, enterprise_id)
    if party is None:
        raise Problem(404, "party_not_found", "The assignment service knows no enterprise with this id",
                      "An enterprise registered a moment ago appears here within seconds.",
                      enterprise_id=enterprise_id,
                      message_zh="用工服务中没有这家单位：刚注册的单位需几秒后才能查到，请稍后重试。")
    return party
