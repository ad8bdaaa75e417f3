"""Registering enterprises: the service functions behind the HTTP endpoints."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from realname_codes.roles import ADMIN, REGULATOR, SERVICE
from realname_codes.uscc import normalise_uscc, uscc_problem
from realname_kit.auth import Caller
from realname_kit.db import Database
from realname_kit.pagination import keyset_page
from realname_kit.problems import Problem
from realname_registry.models import OUTBOX, Enterprise
from realname_registry.schemas import EnterpriseSchema


def register_enterprise(db: Database, name: str, uscc: str, kind: str) -> Enterprise:
    """Register an enterprise once per credit code (a retry finds the first one: 409 with it)."""
    uscc = normalise_uscc(uscc)
    why = uscc_problem(uscc)
    if why:
        raise Problem(422, "uscc_invalid", "The unified social credit code is not valid", why, field="uscc",
                      message_zh="统一社会信用代码不正确（应为18位，不含 I、O、Z、S、V，末位为校验位）：请对照营业执照"
                                 "逐位核对。")
    try:
        with db.transaction() as session:
            existing = _by_uscc(session, uscc)
            if existing is not None:
                raise _already(existing)
            enterprise = Enterprise(name=name.strip(), uscc=uscc, kind=kind)
            session.add(enterprise)
            session.flush()
            OUTBOX.record(session, "enterprise.registered", enterprise_event(enterprise))
            return enterprise
    except IntegrityError:  # a concurrent request with the same code won the race
        with db.transaction() as session:
            winner = _by_uscc(session, uscc)
        if winner is None:
            raise
        raise _already(winner) from None


def enterprise_event(e: Enterprise) -> dict[str, Any]:
    return {"enterprise_id": e.id, "name": e.name, "uscc": e.uscc, "kind": e.kind,
            "registered_at": e.registered_at.isoformat()}


def list_enterprises(db: Database, limit: int, cursor: str | None,
                     uscc: str | None = None) -> tuple[list[Enterprise], str | None]:
    query = select(Enterprise)
    if uscc:
        query = query.where(Enterprise.uscc == normalise_uscc(uscc))
    with db.transaction() as session:
        return keyset_page(session, query, Enterprise.seq, limit, cursor)


def get_enterprise(db: Database, enterprise_id: str, caller: Caller) -> Enterprise:
    """An enterprise sees itself; regulators and our own services see any. Others get 404, not a hint."""
    with db.transaction() as session:
        found = session.scalars(select(Enterprise).where(Enterprise.id == enterprise_id)).first()
    if found is None or not (caller.acts_for(enterprise_id) or caller.roles & {REGULATOR, ADMIN, SERVICE}):
        raise Problem(404, "enterprise_not_found", "No enterprise has this id", enterprise_id=enterprise_id,
                      message_zh="找不到该单位：请核对单位编号。")
    return found


def _by_uscc(session: Session, uscc: str) -> Enterprise | None:
    return session.scalars(select(Enterprise).where(Enterprise.uscc == uscc)).first()


def _already(existing: Enterprise) -> Problem:
    return Problem(409, "enterprise_exists", "An enterprise with this credit code is already registered",
                   f"It was registered as {existing.name}.", existing=EnterpriseSchema().dump(existing),
                   message_zh=f"该统一社会信用代码的单位已登记（名称：{existing.name}），无需重复登记。")
