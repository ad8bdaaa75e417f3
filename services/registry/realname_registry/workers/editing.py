"""Editing a registration (R11): saved at once, shown at once, and never silently over another edit.

The client sends the ``ETag`` it read as ``If-Match``; an edit made meanwhile by someone else gives 412
with the current state, unless the change asked for is already there (a retried request then succeeds).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from realname_kit.auth import Caller
from realname_kit.privacy import Keyring, mask_bank_card, mask_phone, normalise
from realname_kit.problems import Problem
from realname_registry.models import ID_NUMBER, OUTBOX, PHONE, WAGE_CARD, Employment, Team, Worker
from realname_registry.rules.registration import check_registration
from realname_registry.search import reindex_name
from realname_registry.workers.access import employer_of, team_by_id, visible
from realname_registry.workers.events import worker_updated
from realname_registry.workers.history import plain, record_history
from realname_registry.workers.locking import changed
from realname_registry.workers.numbers import phone_columns
from realname_registry.workers.persist import EMPLOYMENT_FIELDS
from realname_registry.workers.refusals import invalid, project_completion
from realname_registry.workers.registration import team_of

IDENTITY_EDITABLE = ("name", "sex", "ethnicity", "birth_date", "address", "issuing_authority", "valid_from",
                     "valid_to")
_CARD_COLUMNS = {"valid_from": "card_valid_from", "valid_to": "card_valid_to"}


def etag(worker: Worker) -> str:
    return f'"{worker.version}"'


def edit_worker(session: Session, keyring: Keyring, caller: Caller, worker_id: str, patch: dict[str, Any], *,
                if_match: str | None, today: date) -> tuple[Worker, Employment, Team | None, list[Any]]:
    employer_id = employer_of(caller)
    worker, employment, _ = visible(session, caller, worker_id, for_update=True)
    if employment is None or employment.status != "active":
        raise Problem(409, "employment_ended", "This worker's employment with you has ended",
                      "Register them again to employ them again.", worker_id=worker_id,
                      message_zh="该工人与贵单位的用工已结束：如需再次用工，请重新登记。")
    current = _body_of(keyring, worker, employment)
    wanted = _merged(current, patch)
    changes = _changes(current, wanted)
    if if_match is None:
        raise Problem(428, "if_match_required", "Send the ETag you read as If-Match",
                      "So that an edit made meanwhile by someone else is never overwritten (R11).",
                      message_zh="缺少版本信息：请先读取该工人，再带上其 ETag（If-Match）提交修改，以免覆盖他人的修改"
                                 "（R11）。")
    if not changes:
        return worker, employment, team_by_id(session, employment.team_id), []
    if if_match.strip() not in (etag(worker), "W/" + etag(worker)):
        raise Problem(412, "edited_meanwhile", "Someone changed this worker since you read it",
                      "Read it again, re-apply your change and send the new ETag.", current_version=worker.version,
                      message_zh="该工人的信息在您读取后已被他人修改：请重新读取，在最新信息上再做修改后提交。")
    _refuse_identity_edits(worker, changes)
    team = team_of(session, wanted["employment"].get("team_id"), employer_id)
    findings = [f for f in check_registration(wanted, today, project_completion(session, team))
                if _concerns(f.field, changes)]
    invalid(findings)
    _apply(session, keyring, worker, employment, wanted=wanted, changes=changes)
    record_history(session, worker, employment, "updated", actor=caller.subject or "", actor_enterprise_id=employer_id,
                   changes=_shown(changes))
    OUTBOX.record(session, "worker.updated", worker_updated(keyring, worker, sorted(changes), employment))
    return worker, employment, team, [f for f in findings if f.severity == "warning"]


def _body_of(keyring: Keyring, worker: Worker, e: Employment) -> dict[str, Any]:
    identity = {name: getattr(worker, _CARD_COLUMNS.get(name, name)) for name in IDENTITY_EDITABLE}
    identity["id_number"] = worker_number(keyring, worker)
    terms = {name: getattr(e, name) for name in EMPLOYMENT_FIELDS}
    terms["wage_card_number"] = WAGE_CARD.open(keyring, e.wage_card_number_enc)
    return {"identity": identity, "phone": PHONE.open(keyring, worker.phone_enc), "category": worker.category,
            "site_role": worker.site_role, "employment": terms}


def worker_number(keyring: Keyring, worker: Worker) -> str:
    return ID_NUMBER.open(keyring, worker.id_number_enc) or ""


def _merged(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    wanted = {**current, "identity": {**current["identity"], **patch.get("identity", {})},
              "employment": {**current["employment"], **patch.get("employment", {})}}
    if "phone" in patch:
        wanted["phone"] = patch["phone"]
    return wanted


def _changes(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for section in ("identity", "employment"):
        for name, value in wanted[section].items():
            if _same(current[section].get(name), value, name):
                continue
            changes[f"{section}.{name}"] = [current[section].get(name), value]
    if not _same(current["phone"], wanted["phone"], "phone"):
        changes["phone"] = [current["phone"], wanted["phone"]]
    return changes


def _same(before: Any, after: Any, name: str) -> bool:
    if name == "phone":
        return normalise(before or "", "phone") == normalise(after or "", "phone")
    if name == "wage_card_number":
        return normalise(before or "", "bank_card") == normalise(after or "", "bank_card")
    return bool(before == after)


def _refuse_identity_edits(worker: Worker, changes: dict[str, list[Any]]) -> None:
    if "identity.id_number" in changes:
        raise Problem(422, "id_number_not_editable", "An ID number cannot be changed",
                      "A wrong number is another person: record a resignation of this registration and "
                      "register the person with the right number.", field="identity.id_number",
                      message_zh="身份证号码不能修改：号码错了就是另一个人，请为本登记办理离职，再用正确的号码重新登记"
                                 "。")
    if worker.identity_status == "verified" and any(k.startswith("identity.") for k in changes):
        raise Problem(422, "identity_verified", "A verified card's fields cannot be typed over",
                      "They come from the card read (R1); read the card again if it was renewed.",
                      field=next(k for k in changes if k.startswith("identity.")),
                      message_zh="已核验的身份证信息不能手工修改：信息来自读卡（R1），如证件已换发，请重新读卡。")


def _concerns(field: str, changes: dict[str, list[Any]]) -> bool:
    """Only what the edit touches is checked again: an old registration is not re-judged by today's date."""
    section = field.split(".", 1)[0]
    return field in changes or any(k.split(".", 1)[0] == section for k in changes if section != "identity")


def _apply(session: Session, keyring: Keyring, worker: Worker, e: Employment, *, wanted: dict[str, Any],
           changes: dict[str, list[Any]]) -> None:
    for key in changes:
        section, _, name = key.partition(".")
        if section == "identity":
            setattr(worker, _CARD_COLUMNS.get(name, name), wanted["identity"][name])
        elif key == "phone":
            for column, value in phone_columns(keyring, wanted["phone"]).items():
                setattr(worker, column, value)
        elif name == "wage_card_number":
            for column, value in WAGE_CARD.seal(keyring, wanted["employment"][name]).items():
                setattr(e, column, value)
        else:
            setattr(e, name, wanted["employment"][name])
    if "identity.name" in changes:
        reindex_name(session, worker.seq, worker.name)
    changed(worker)
    session.flush()


def _shown(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    masks = {"phone": mask_phone, "employment.wage_card_number": mask_bank_card}
    return {k: [masks[k](v) if k in masks and v else plain(v) for v in pair] for k, pair in changes.items()}
