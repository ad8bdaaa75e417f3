"""Registering workers for the logged-in employer (R1, R5–R13), from a card read or by hand.

One person is one worker row (the ID number's blind index is unique) and has at most one active
employment (a partial unique index, R12): the database refuses a second one even when two employers
press the button in the same instant; the loser gets the 409 a sequential caller would get.

A registration is *prepared* (checked, on its own) and then *persisted* together with the others of its
batch: one registration from the form is a batch of one, an Excel import a batch of hundreds, written
with a handful of statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from realname_codes.roles import GENERAL_CONTRACTOR
from realname_codes.trades import MANAGEMENT_TRADE
from realname_kit.auth import Caller
from realname_kit.db import Database
from realname_kit.privacy import Keyring, normalise
from realname_kit.problems import Problem
from realname_registry.models import ID_NUMBER, READ_ID_NUMBER, CardRead, Team
from realname_registry.rules.registration import check_registration
from realname_registry.workers.access import employer_of
from realname_registry.workers.persist import Prepared, Registered, persist
from realname_registry.workers.refusals import invalid, project_completion

__all__ = ["Prepared", "Registered", "TeamCache", "prepare", "register_in", "register_worker", "team_of"]


@dataclass
class TeamCache:
    """The employer's teams met in one batch, looked up once each."""

    employer_id: str
    teams: dict[str, Team] = field(default_factory=dict)
    completions: dict[str, date | None] = field(default_factory=dict)  # by team: its project's (R6)

    def get(self, session: Session, team_id: str | None) -> Team | None:
        if team_id is None:
            return None
        if team_id not in self.teams:
            found = team_of(session, team_id, self.employer_id)
            assert found is not None
            self.teams[team_id] = found
        return self.teams[team_id]

    def completion(self, session: Session, team: Team | None) -> date | None:
        if team is None:
            return None
        if team.id not in self.completions:
            self.completions[team.id] = project_completion(session, team)
        return self.completions[team.id]


def register_worker(db: Database, keyring: Keyring, caller: Caller, body: dict[str, Any], today: date) -> Registered:
    """Register in one transaction; a concurrent registration of the same person ends in the same 409."""
    try:
        with db.transaction() as session:
            return register_in(session, keyring, caller, body, today)
    except IntegrityError:
        with db.transaction() as session:
            register_in(session, keyring, caller, body, today)  # meets the winner and raises its 409
        raise


def register_in(session: Session, keyring: Keyring, caller: Caller, body: dict[str, Any], today: date) -> Registered:
    prepared = prepare(session, keyring, caller, body, today, teams=TeamCache(employer_of(caller)))
    outcome = persist(session, keyring, caller, [prepared])[0]
    if isinstance(outcome, Problem):
        raise outcome
    return outcome


def prepare(session: Session, keyring: Keyring, caller: Caller, body: dict[str, Any], today: date, *,
            teams: TeamCache) -> Prepared:
    """Check one registration on its own (raises Problem); nothing is written."""
    employer_id = employer_of(caller)
    body = {**body, "identity": identity_of(session, keyring, body, employer_id)}
    _employer_may_employ(caller, body)
    team = teams.get(session, body["employment"].get("team_id"))
    findings = check_registration(body, today, teams.completion(session, team))
    invalid(findings)
    number = normalise(body["identity"]["id_number"], "id_number")
    return Prepared(body=body, number=number, number_index=ID_NUMBER.index(keyring, number), team=team,
                    category=_category(body), warnings=[f for f in findings if f.severity == "warning"])


def identity_of(session: Session, keyring: Keyring, body: dict[str, Any], employer_id: str) -> dict[str, Any]:
    """The identity fields: a card read's as they are (R1), or those typed in.

    A pending read fills the registration in as a verified one does; the worker is ``unverified`` until the
    authority answers (R3). Typed-in fields give way to the employer's own verified read of the same number that
    came first (``card_reads`` links one that comes later); only the employer's own reads count (R1, R12).
    """
    read_id = body.get("card_read_id")
    if read_id is None:
        if not body.get("identity"):
            raise Problem(422, "identity_missing", "Give the card read, or the card's fields typed in",
                          field="identity",
                          message_zh="请选择读卡记录，或手工填写身份证上的信息。")
        typed = {**body["identity"], "status": "unverified", "read_id": None}
        read = _verified_read_of(session, keyring, typed.get("id_number"), employer_id)
        return typed if read is None else _fields_of(keyring, read)
    if body.get("identity"):
        raise Problem(422, "identity_from_card_read", "Leave the identity out: the card read fills it in",
                      "The fields of a card read cannot be typed over (R1).", field="identity",
                      message_zh="选用读卡记录时不要再填写身份信息：身份证信息由读卡带入，不能手工改写（R1）。")
    # Locked: its verification, arriving now, waits for this registration and then verifies the worker (R3).
    read = session.get(CardRead, read_id, with_for_update=True)
    if read is None or read.employer_id != employer_id:
        raise Problem(422, "card_read_unknown", "No card read of yours has this id",
                      "A read can be used a moment after the reader sent it. Check the read id, or register "
                      "by hand: the worker is verified when a read of their card is.", field="card_read_id",
                      message_zh="没有您单位的这条读卡记录。读卡后稍候片刻即可使用；请核对读卡编号，或手工录入，"
                                 "工人的身份证读卡核验通过后将自动核验。")
    if read.status == "rejected":
        raise Problem(422, "card_read_rejected", "The identity authority rejected this card read",
                      f"Reason: {read.reason}. Read the worker's own valid card again and register from that read.",
                      field="card_read_id", card_read_reason=read.reason,
                      message_zh=f"该读卡记录未通过身份核验（原因：{read.reason}）。请重新读取工人本人有效身份证，"
                                 "并用新的读卡记录登记。")
    return _fields_of(keyring, read)


def _fields_of(keyring: Keyring, read: CardRead) -> dict[str, Any]:
    return {"name": read.name, "sex": read.sex, "ethnicity": read.ethnicity, "birth_date": read.birth_date,
            "address": read.address, "issuing_authority": read.issuing_authority, "valid_from": read.valid_from,
            "valid_to": read.valid_to, "id_number": READ_ID_NUMBER.open(keyring, read.id_number_enc),
            "status": "verified" if read.status == "verified" else "unverified", "read_id": read.id}


def _verified_read_of(session: Session, keyring: Keyring, typed_number: object, employer_id: str) -> CardRead | None:
    """The employer's newest verified read of this number, as its read verified after the registration would
    verify the worker. Another enterprise's read is not the employer's to take: the authority vouches for the
    number and the name, not for the address or issuing authority the other enterprise's read carries (R1)."""
    if not isinstance(typed_number, str) or not typed_number.strip():
        return None
    index = ID_NUMBER.index(keyring, normalise(typed_number, "id_number"))
    return session.scalars(select(CardRead).where(CardRead.id_number_bidx == index, CardRead.status == "verified",
                                                  CardRead.employer_id == employer_id)
                           .order_by(CardRead.verified_at.desc()).limit(1)).first()


def team_of(session: Session, team_id: str | None, employer_id: str) -> Team | None:
    if team_id is None:
        return None
    team = session.scalars(select(Team).where(Team.id == team_id)).first()
    if team is None or team.employer_id != employer_id:
        raise Problem(422, "team_unknown", "You have no team with this id",
                      "Create the team on its project first (POST /api/v1/registry/teams).",
                      field="employment.team_id",
                      message_zh="贵单位没有这个班组：请先在项目上建立班组。")
    return team


def _employer_may_employ(caller: Caller, body: dict[str, Any]) -> None:
    if GENERAL_CONTRACTOR in caller.roles and body.get("category") != "site_staff":
        raise Problem(403, "general_contractor_site_staff_only",
                      "A general contractor registers only its own site staff",
                      "Security guards, cleaners and the like are registered by you as their employer "
                      "(category site_staff, R13); construction workers by their labour company.",
                      message_zh="总承包单位只能登记本单位的现场管理服务人员（保安、保洁等，类别选 site_staff，R13）；"
                                 "施工工人由其劳务公司登记。")


def _category(body: dict[str, Any]) -> str:
    if body["employment"].get("trade_code") == MANAGEMENT_TRADE:
        return "management"  # R36: marked apart from construction workers
    return str(body.get("category") or "construction")
