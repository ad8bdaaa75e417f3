"""Writing prepared registrations, many at once: a few statements per batch, not a few per worker.

Each registration ends registered, or refused with the Problem a single registration would raise: the
person is employed (by you, or by another employer: R12), the typed name contradicts the stored one, or
the same person appears twice in the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from realname_codes.bank_cards import luhn_valid
from realname_codes.findings import Finding
from realname_kit.auth import Caller
from realname_kit.privacy import Keyring, normalise
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow
from realname_registry.models import OUTBOX, WAGE_CARD, Employment, HistoryEntry, Team, Worker
from realname_registry.search import index_names
from realname_registry.workers.events import worker_registered
from realname_registry.workers.history import plain
from realname_registry.workers.locking import changed, lock_workers
from realname_registry.workers.numbers import number_columns, phone_columns
from realname_registry.workers.refusals import already_employed

EMPLOYMENT_FIELDS = ("worker_type", "contract_number", "contract_start", "contract_end", "wage_type", "daily_wage",
                     "base_wage", "probation_wage", "performance_payouts_per_year", "bank_code", "bank_name",
                     "trade_code", "team_id")


@dataclass
class Prepared:
    body: dict[str, Any]
    number: str
    number_index: str
    team: Team | None
    category: str
    warnings: list[Finding]


@dataclass
class Registered:
    worker: Worker
    employment: Employment
    team: Team | None
    warnings: list[Finding]


def persist(session: Session, keyring: Keyring, caller: Caller,
            batch: Sequence[Prepared]) -> list[Registered | Problem]:
    employer_id = caller.enterprise_id or ""
    known = {w.id_number_bidx: w for w in lock_workers(
        session, Worker.id_number_bidx.in_({p.number_index for p in batch}))}
    employed = {e.worker_id: e for e in session.scalars(select(Employment).where(
        Employment.worker_id.in_([w.id for w in known.values()]), Employment.status == "active"))}
    outcomes: list[Registered | Problem | None] = []
    new_rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for p in batch:
        worker = known.get(p.number_index)
        refusal = _refusal(session, p, worker, employed=employed, employer_id=employer_id, seen=seen)
        seen.add(p.number_index)
        if refusal is None and worker is None:
            new_rows.append(_new_worker_row(keyring, p))
        elif refusal is None and worker is not None:
            _returning(keyring, worker, p)
        outcomes.append(refusal)
    created = _insert_workers(session, new_rows)
    to_employ = [(p, created.get(p.number_index) or known[p.number_index])
                 for p, o in zip(batch, outcomes, strict=True) if o is None]
    registered = _employ(session, keyring, caller, to_employ)
    results = iter(registered)
    return [o if o is not None else next(results) for o in outcomes]


def _refusal(session: Session, p: Prepared, worker: Worker | None, *, employed: dict[str, Employment],
             employer_id: str, seen: set[str]) -> Problem | None:
    if p.number_index in seen:
        return Problem(409, "duplicate_in_batch", "This person is already registered earlier in the same batch",
                       "Each worker appears once: remove the repeated row.",
                       message_zh="此人在本批中已出现过：每名工人只填一次，请删去重复的行。")
    if worker is None:
        return None
    if worker.deceased_on is not None:  # R24: a death is final; registering the person again is a mistake
        return Problem(409, "worker_deceased", "This person is recorded as deceased",
                       f"Their death was recorded for {worker.deceased_on}: check the ID number against the card.",
                       field="identity.id_number", deceased_on=worker.deceased_on.isoformat(),
                       message_zh=f"此人已于 {worker.deceased_on} 登记为死亡，不能再登记：请核对身份证号码。")
    if worker.id in employed:
        return already_employed(session, worker, employed[worker.id], employer_id)
    identity = p.body["identity"]
    if identity["status"] != "verified" and identity["name"] != worker.name:
        return Problem(422, "identity_differs", "This ID number is registered under another name",
                       f"It belongs to {worker.name[0]}{'*' * (len(worker.name) - 1)}: check the number "
                       "against the card.", field="identity.id_number",
                       message_zh=f"该身份证号码已登记在另一个姓名（{worker.name[0]}{'*' * (len(worker.name) - 1)}）下"
                                  "：请对照身份证核对号码。")
    return None


def _new_worker_row(keyring: Keyring, p: Prepared) -> dict[str, Any]:
    identity = p.body["identity"]
    return {"name": identity["name"], "sex": identity["sex"], "ethnicity": identity["ethnicity"],
            "birth_date": identity["birth_date"], "address": identity["address"],
            "issuing_authority": identity["issuing_authority"], "card_valid_from": identity["valid_from"],
            "card_valid_to": identity["valid_to"], "identity_status": identity["status"],
            "identity_reason": None, "card_read_id": identity["read_id"], "category": p.category,
            "site_role": p.body.get("site_role"), **number_columns(keyring, p.number, p.body["phone"])}


def _returning(keyring: Keyring, worker: Worker, p: Prepared) -> None:
    """A returning worker: a newer verified card and the phone given now replace what was stored."""
    identity = p.body["identity"]
    if identity["status"] == "verified":
        worker.name, worker.address = identity["name"], identity["address"]
        worker.card_valid_from, worker.card_valid_to = identity["valid_from"], identity["valid_to"]
        worker.issuing_authority, worker.identity_status = identity["issuing_authority"], "verified"
        worker.identity_reason, worker.card_read_id = None, identity["read_id"]
    for name, value in phone_columns(keyring, p.body["phone"]).items():
        setattr(worker, name, value)
    worker.category, worker.site_role = p.category, p.body.get("site_role")
    changed(worker)


def _insert_workers(session: Session, rows: list[dict[str, Any]]) -> dict[str, Worker]:
    if not rows:
        return {}
    workers = list(session.scalars(insert(Worker).returning(Worker, sort_by_parameter_order=True), rows))
    index_names(session, [(w.seq, w.name) for w in workers])
    return {w.id_number_bidx: w for w in workers}


def _employ(session: Session, keyring: Keyring, caller: Caller,
            batch: list[tuple[Prepared, Worker]]) -> list[Registered]:
    if not batch:
        return []
    session.flush()
    rows = [_employment_row(keyring, caller, p, w) for p, w in batch]
    employments = list(session.scalars(insert(Employment).returning(Employment, sort_by_parameter_order=True), rows))
    session.execute(insert(HistoryEntry), [
        {"worker_id": w.id, "employment_id": e.id, "employer_id": e.employer_id, "action": "registered",
         "actor": caller.subject or "", "actor_enterprise_id": e.employer_id, "at": e.started_at,
         "changes": {name: [None, plain(getattr(e, name))] for name in EMPLOYMENT_FIELDS}}
        for (_, w), e in zip(batch, employments, strict=True)])
    OUTBOX.record_many(session, "worker.registered", [worker_registered(keyring, w, e, p.team)
                                                      for (p, w), e in zip(batch, employments, strict=True)])
    return [Registered(w, e, p.team, p.warnings) for (p, w), e in zip(batch, employments, strict=True)]


def _employment_row(keyring: Keyring, caller: Caller, p: Prepared, worker: Worker) -> dict[str, Any]:
    terms = p.body["employment"]
    card = normalise(terms["wage_card_number"], "bank_card")
    return {"worker_id": worker.id, "worker_seq": worker.seq, "employer_id": caller.enterprise_id or "",
            "status": "active", "registered_by": caller.subject or "", "wage_card_flagged": not luhn_valid(card),
            "started_at": utcnow(), **{name: terms.get(name) for name in EMPLOYMENT_FIELDS},
            **WAGE_CARD.seal(keyring, card)}
