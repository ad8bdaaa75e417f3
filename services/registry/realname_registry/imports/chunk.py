"""One chunk of an import's rows: each row checked on its own, the valid ones registered together.

A row lists every reason it fails at once (its unreadable cells, an unknown team, the schema's and the
domain's findings), so that the sheet is corrected in one round.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from realname_kit.auth import Caller
from realname_kit.privacy import Keyring
from realname_kit.problems import Problem
from realname_kit.schema_errors import load_findings
from realname_registry.excel.columns import TEAM_COLUMNS, WORKER_COLUMNS
from realname_registry.imports.sealed import open_json
from realname_registry.models import ImportJob, ImportRow, Team
from realname_registry.teams import appoint
from realname_registry.worker_schemas import WorkerIn
from realname_registry.workers.persist import Prepared, Registered, persist
from realname_registry.workers.registration import TeamCache, prepare

_SCHEMA = WorkerIn()
_FIELD_BY_HEADER = {c.header: c.key for c in (*WORKER_COLUMNS, *TEAM_COLUMNS)}
_HEADER_BY_FIELD = {c.key: c.header for c in (*WORKER_COLUMNS, *TEAM_COLUMNS)}


def run_chunk(session: Session, keyring: Keyring, caller: Caller, job: ImportJob, *, size: int, today: date) -> None:
    rows = list(session.scalars(select(ImportRow).where(
        ImportRow.job_id == job.id, ImportRow.position >= job.processed_rows,
        ImportRow.position < job.processed_rows + size).order_by(ImportRow.position)))
    teams, names = TeamCache(job.employer_id), _team_names(session, job)
    ready: list[tuple[ImportRow, Prepared, bool]] = []
    for row in rows:
        payload = open_json(keyring, row.payload_enc or "null") or {}
        reasons = [_cell_reason(column, message) for column, message in payload.get("errors") or []]
        sheet = dict(payload.get("body") or {})
        leader = bool(sheet.pop("team_leader", False))
        body = _body(job, sheet, names, reasons)
        prepared = _checked(session, keyring, caller, body, today, teams=teams, reasons=reasons)
        if reasons or prepared is None:
            _failed(row, reasons)
        else:
            ready.append((row, prepared, leader))
    for (row, _prepared, leader), outcome in zip(ready, _persist(session, keyring, caller, ready), strict=True):
        _record(session, job, row, outcome, leader)
    job.processed_rows += len(rows)
    job.failed = _count(session, job, "failed")
    job.registered = _count(session, job, "registered")
    job.already_registered = _count(session, job, "already_registered")


def _persist(session: Session, keyring: Keyring, caller: Caller,
             ready: list[tuple[ImportRow, Prepared, bool]]) -> list[Registered | Problem]:
    """All at once; when a concurrent registration collides with one of them, one at a time."""
    batch = [p for _row, p, _leader in ready]
    try:
        with session.begin_nested():
            return persist(session, keyring, caller, batch)
    except IntegrityError:
        outcomes: list[Registered | Problem] = []
        for p in batch:
            try:
                with session.begin_nested():
                    outcomes += persist(session, keyring, caller, [p])
            except IntegrityError:
                outcomes.append(Problem(409, "registered_meanwhile", "Someone registered this person meanwhile",
                                        message_zh="此人刚被他人登记：请查询该工人后再处理。"))
        return outcomes


def _body(job: ImportJob, sheet: dict[str, Any], names: dict[str, str],
          reasons: list[dict[str, str]]) -> dict[str, Any]:
    """The registration body of a row; an unknown team is one more reason, and the row is checked on."""
    terms = dict(sheet.get("employment") or {})
    if job.kind == "team":
        terms["team_id"] = job.target
    else:
        name = terms.pop("team_name", None)
        if name and name not in names:
            reasons.append({"field": "employment.team_name", "reason": "team_unknown",
                            "message": f"No team named {name} on this project: create the team first, or use one "
                                       "of the project's teams.",
                            "message_zh": f"班组“{name}”在该项目上不存在：请先创建班组，或改为已有班组"
                                          f"（{'、'.join(names) or '暂无'}）。"})
        terms["team_id"] = names.get(name) if name else None
    return {**sheet, "employment": terms}


def _checked(session: Session, keyring: Keyring, caller: Caller, body: dict[str, Any], today: date, *,
              teams: TeamCache, reasons: list[dict[str, str]]) -> Prepared | None:
    """The row checked by the schema and the domain; what they find is added to ``reasons``, leaving out
    the fields whose cells were already unreadable (they would be reported twice)."""
    unreadable = [f for f in (_FIELD_BY_HEADER.get(r["field"]) for r in reasons) if f]
    if any(r["reason"] == "team_unknown" for r in reasons):
        unreadable.append("employment.team_id")  # the team is named, only not found: not "required" too
    try:
        loaded: dict[str, Any] = _SCHEMA.load(body)
    except ValidationError as invalid:
        errors, _warnings = load_findings(invalid, _SCHEMA, unreadable)
        reasons += [_in_sheet_words(e) for e in errors]
        return None
    try:
        return prepare(session, keyring, caller, loaded, today, teams=teams)
    except Problem as problem:
        reasons += [r for r in _problem_reasons(problem) if r["field"] not in unreadable]
        return None


def _in_sheet_words(error: dict[str, str]) -> dict[str, str]:
    """A schema error as the sheet's reader knows the field: by its column's header."""
    header = _HEADER_BY_FIELD.get(error["field"])
    if header is None:
        return {k: error[k] for k in ("field", "reason", "message", "message_zh")}
    return {"field": error["field"], "reason": error["reason"], "message": error["message"],
            "message_zh": error["message_zh"].replace(f"{error['field']}：", f"{header}：", 1)}


def _team_names(session: Session, job: ImportJob) -> dict[str, str]:
    if job.kind == "team":
        return {}
    teams = session.scalars(select(Team).where(Team.employer_id == job.employer_id, Team.project_id == job.target))
    return {t.name: t.id for t in teams}


def _record(session: Session, job: ImportJob, row: ImportRow, outcome: Registered | Problem, leader: bool) -> None:
    if isinstance(outcome, Registered):
        row.outcome = "registered"
        if leader and outcome.team is not None:
            appoint(session, outcome.team, outcome.worker.id)
    elif outcome.reason == "already_employed_by_you":
        row.outcome = "already_registered"  # the same person again: nobody is registered twice
    else:
        _failed(row, _problem_reasons(outcome))


def _failed(row: ImportRow, reasons: list[dict[str, str]]) -> None:
    row.outcome, row.reasons = "failed", reasons


def _problem_reasons(problem: Problem) -> list[dict[str, str]]:
    errors = problem.extra.get("errors")
    if errors:
        return [{k: e[k] for k in ("field", "reason", "message", "message_zh")} for e in errors]
    detail = problem.detail or problem.title
    return [{"field": str(problem.extra.get("field", "")), "reason": problem.reason, "message": detail,
             "message_zh": problem.message_zh}]


def _cell_reason(column: str, message: str) -> dict[str, str]:
    return {"field": column, "reason": "cell_invalid", "message": f"{column}: {message}",
            "message_zh": f"{column}：{message}"}


def _count(session: Session, job: ImportJob, outcome: str) -> int:
    return session.scalar(select(func.count()).select_from(ImportRow).where(
        ImportRow.job_id == job.id, ImportRow.outcome == outcome)) or 0

