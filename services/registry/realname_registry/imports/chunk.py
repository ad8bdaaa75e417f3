"""One chunk of an import's rows: each row checked on its own, the valid ones registered together."""

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
from realname_registry.imports.sealed import open_json
from realname_registry.models import ImportJob, ImportRow, Team
from realname_registry.teams import appoint
from realname_registry.worker_schemas import WorkerIn
from realname_registry.workers.persist import Prepared, Registered, persist
from realname_registry.workers.registration import TeamCache, prepare

_SCHEMA = WorkerIn()


def run_chunk(session: Session, keyring: Keyring, caller: Caller, job: ImportJob, *, size: int, today: date) -> None:
    rows = list(session.scalars(select(ImportRow).where(
        ImportRow.job_id == job.id, ImportRow.position >= job.processed_rows,
        ImportRow.position < job.processed_rows + size).order_by(ImportRow.position)))
    teams, names = TeamCache(job.employer_id), _team_names(session, job)
    ready: list[tuple[ImportRow, Prepared, bool]] = []
    for row in rows:
        payload = open_json(keyring, row.payload_enc or "null") or {}
        if payload.get("errors"):
            _failed(row, [_cell_reason(column, message) for column, message in payload["errors"]])
            continue
        try:
            body, leader = _body(job, payload["body"], names)
            ready.append((row, prepare(session, keyring, caller, body, today, teams=teams), leader))
        except Problem as problem:
            _failed(row, _problem_reasons(problem))
        except ValidationError as invalid:
            _failed(row, [_cell_reason("", str(invalid.messages))])
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
                outcomes.append(Problem(409, "registered_meanwhile", "Someone registered this person meanwhile"))
        return outcomes


def _body(job: ImportJob, sheet: dict[str, Any], names: dict[str, str]) -> tuple[dict[str, Any], bool]:
    leader = bool(sheet.pop("team_leader", False))
    terms = dict(sheet.get("employment") or {})
    if job.kind == "team":
        terms["team_id"] = job.target
    else:
        name = terms.pop("team_name", None)
        if name and name not in names:
            raise Problem(422, "team_unknown", f"No team named {name} on this project",
                          "Create the team first, or use one of the project's teams.", field="employment.team_name",
                          message_zh=f"班组“{name}”在该项目上不存在：请先创建班组，或改为已有班组"
                                     f"（{'、'.join(names) or '暂无'}）。")
        terms["team_id"] = names.get(name) if name else None
    loaded: dict[str, Any] = _SCHEMA.load({**sheet, "employment": terms})
    return loaded, leader


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
             "message_zh": str(problem.extra.get("message_zh") or _ZH.get(problem.reason, detail))}]


def _cell_reason(column: str, message: str) -> dict[str, str]:
    return {"field": column, "reason": "cell_invalid", "message": f"{column}: {message}",
            "message_zh": f"{column}：{message}"}


def _count(session: Session, job: ImportJob, outcome: str) -> int:
    return session.scalar(select(func.count()).select_from(ImportRow).where(
        ImportRow.job_id == job.id, ImportRow.outcome == outcome)) or 0


_ZH = {
    "employed_elsewhere": "该工人的劳动合同由其他用人单位持有：请对方先办理离职，再登记（R12）。",
    "identity_differs": "该身份证号码已登记在另一姓名下：请核对号码与身份证。",
    "duplicate_in_batch": "同一人在本文件中出现多次：请删除重复的行。",
    "team_unknown": "班组不存在：请先创建班组。",
    "registered_meanwhile": "导入期间此人已被登记。",
    "general_contractor_site_staff_only": "总承包单位只能登记本单位的现场服务人员（保安、保洁等）。",
}
