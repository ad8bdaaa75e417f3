"""Recording a worker's death (R24): a fact about the person, recorded once, that ends their employment.

The current employer, a regulator or an administrator records it. In one transaction the worker is marked
deceased, the active employment (if any) ends that day with cause ``death``, a team they led asks for a new
leader (R17), history and audit keep it, and ``worker.died`` then ``employment.ended`` tell the assignment
service, which exits the worker from every project (R24, R26). Recording it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from realname_codes.roles import ADMIN, REGULATOR
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.problems import Problem
from realname_registry.models import OUTBOX, Employment, EvidenceFile, Team, Worker
from realname_registry.rules.late_entry import is_late_entry, late_entry_lacks
from realname_registry.workers.access import employer_of, visible
from realname_registry.workers.events import employment_ended, worker_died
from realname_registry.workers.history import record_history
from realname_registry.workers.locking import changed
from realname_registry.workers.resignation import leave_team

OVERSEERS = frozenset({REGULATOR, ADMIN})  # may record the death of any worker, employed or not


@dataclass
class Died:
    worker: Worker
    employment: Employment | None  # the one that ended, else the latest the caller sees
    team: Team | None
    team_needs_leader: dict[str, Any] | None


def record_death(session: Session, caller: Caller, worker_id: str, request: dict[str, Any], today: date) -> Died:
    overseer = bool(caller.roles & OVERSEERS)
    if not overseer:
        employer_of(caller)
    worker, employment, team = visible(session, caller, worker_id, for_update=True, sees_all=overseer)
    if worker.deceased_on is not None:
        return Died(worker, employment, team, None)  # a retry: recorded already, nothing changes
    ending = employment if employment is not None and employment.status == "active" else None
    if ending is None and not overseer:  # an employer acts only on the worker it employs now
        raise Problem(409, "employment_ended", "This worker's employment with you has ended",
                      "Their current employer, or a regulator, records the death.", worker_id=worker_id,
                      message_zh="该工人与贵单位的用工已结束：死亡由其现用人单位或监管部门登记。")
    died_on, evidence_id = request["died_on"], request.get("evidence_id")
    note = (request.get("note") or "").strip() or None
    _check(session, caller, worker, died_on=died_on, evidence_id=evidence_id, today=today, overseer=overseer)
    worker.deceased_on = died_on
    changed(worker)
    changes: dict[str, list[Any]] = {"deceased_on": [None, died_on]}
    needs_leader = None
    if ending is not None:  # R24: death ends the labour contract that day
        ending.status, ending.ended_on, ending.end_cause = "ended", died_on, "death"
        ending.end_reason, ending.evidence_id = note, evidence_id
        changes.update(status=["active", "ended"], ended_on=[None, died_on], end_cause=[None, "death"],
                       end_reason=[None, note])
        needs_leader = leave_team(session, team, worker, gone="已故")  # R17
    record_history(session, worker, ending, "died", actor=caller.subject or "",
                   actor_enterprise_id=caller.enterprise_id, changes=changes)
    late = is_late_entry(died_on, today)  # R25
    OUTBOX.record(session, "worker.died", worker_died(worker, ending))
    if ending is not None:
        OUTBOX.record(session, "employment.ended", employment_ended(worker, ending, late=late, cause="death"))
    record_audit(session, OUTBOX, action="worker.death_recorded", actor=caller, subject=worker.id, reason=note,
                 details={"employment_id": ending.id if ending else None, "died_on": died_on.isoformat(),
                          "late_entry": late, "evidence_id": evidence_id})
    return Died(worker, ending or employment, team, needs_leader)


def _check(session: Session, caller: Caller, worker: Worker, *, died_on: date, evidence_id: str | None,
           today: date, overseer: bool) -> None:
    if died_on > today:
        raise Problem(422, "died_on_in_future", "A death is recorded on or after its day", field="died_on",
                      message_zh="死亡日期不能晚于今天：请核对日期。")
    if died_on < worker.birth_date:
        raise Problem(422, "died_on_before_birth", "The date is before the worker's birth",
                      f"The worker was born on {worker.birth_date}.", field="died_on",
                      message_zh=f"死亡日期早于工人的出生日期（{worker.birth_date}）：请核对日期。")
    evidence = session.get(EvidenceFile, evidence_id) if evidence_id else None
    if evidence_id and (evidence is None or not (overseer or caller.acts_for(evidence.employer_id))):
        raise Problem(422, "evidence_unknown", "No evidence file of yours has this id",
                      "Upload it to /api/v1/registry/evidence first and give the id it answers.", field="evidence_id",
                      message_zh="找不到贵单位的这个证明文件：请先上传证明文件，再填写返回的编号。")
    # R25 as for a late resignation; the death is its own reason (the note is optional), the certificate its evidence.
    if "evidence" in late_entry_lacks(died_on, today, reason=None, evidence=evidence is not None):
        raise Problem(422, "evidence_required", "A date before today needs an evidence file",
                      "Upload the death certificate (PDF or JPEG) to /api/v1/registry/evidence and give its id.",
                      field="evidence_id",
                      message_zh="登记今天以前的死亡须附证明：请上传死亡证明（PDF 或 JPEG），并填写返回的编号。")
