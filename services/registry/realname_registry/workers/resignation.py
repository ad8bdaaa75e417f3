"""Resignation (离职) ends the labour contract (R24); single or in batch (R25).

The date is today, or earlier only with a reason and an evidence file (R25: no quiet back-dating). A
resignation of a team leader leaves the team without one: the answer says so, and the team asks for a
new leader (R17). Recording the same resignation again changes nothing and answers as the first time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.problems import Problem
from realname_registry.models import OUTBOX, Employment, EvidenceFile, Team, Worker
from realname_registry.rules.late_entry import is_late_entry, late_entry_lacks
from realname_registry.teams import lock_team, member_count
from realname_registry.workers.access import employer_of, visible
from realname_registry.workers.events import employment_ended
from realname_registry.workers.history import record_history
from realname_registry.workers.locking import changed


@dataclass
class Resigned:
    worker: Worker
    employment: Employment
    team_needs_leader: dict[str, Any] | None


def resign(session: Session, caller: Caller, worker_id: str, request: dict[str, Any], today: date) -> Resigned:
    employer_id = employer_of(caller)
    worker, employment, team = visible(session, caller, worker_id, for_update=True)
    if employment is None:
        raise Problem(404, "worker_not_found", "No worker of yours has this id", worker_id=worker_id,
                      message_zh="找不到贵单位的这名工人：请核对工人编号。")
    on, reason, evidence_id = request["date"], request.get("reason"), request.get("evidence_id")
    if worker.deceased_on is not None:  # R24: death ended the contract; there is nothing left to resign from
        raise Problem(409, "worker_deceased", "This worker is recorded as deceased",
                      f"The death was recorded for {worker.deceased_on}.",
                      deceased_on=worker.deceased_on.isoformat(),
                      message_zh=f"该工人已登记死亡（{worker.deceased_on}），无需办理离职。")
    if employment.status == "ended":
        if employment.ended_on == on:
            return Resigned(worker, employment, None)  # a retry: already done, exactly so
        raise Problem(409, "already_resigned", "This worker has already resigned",
                      f"The resignation was recorded for {employment.ended_on}.", ended_on=employment.ended_on,
                      message_zh=f"该工人已办理离职（离职日期 {employment.ended_on}），无需重复办理。")
    _check_date(session, employer_id, employment, on=on, reason=reason, evidence_id=evidence_id, today=today)
    employment.status, employment.ended_on = "ended", on
    employment.end_reason, employment.evidence_id, employment.end_cause = reason, evidence_id, "resignation"
    changed(worker)
    needs_leader = leave_team(session, team, worker)
    record_history(session, worker, employment, "resigned", actor=caller.subject or "",
                   actor_enterprise_id=employer_id,
                   changes={"status": ["active", "ended"], "ended_on": [None, on], "end_reason": [None, reason]})
    late = is_late_entry(on, today)  # R25
    OUTBOX.record(session, "employment.ended", employment_ended(worker, employment, late=late))
    record_audit(session, OUTBOX, action="employment.resigned", actor=caller, subject=worker.id,
                 reason=reason, details={"employment_id": employment.id, "ended_on": on.isoformat(),
                                         "late_entry": late, "evidence_id": evidence_id})
    return Resigned(worker, employment, needs_leader)


def _check_date(session: Session, employer_id: str, employment: Employment, *, on: date, reason: str | None,
                evidence_id: str | None, today: date) -> None:
    if on > today:
        raise Problem(422, "resignation_in_future", "A resignation is recorded on or after its day",
                      f"Record it on {on}.", field="date",
                      message_zh=f"离职日期（{on}）还没到：请到当天再登记离职。")
    if on < employment.contract_start:
        raise Problem(422, "resignation_before_start", "The date is before the labour contract began",
                      f"The contract began on {employment.contract_start}.", field="date",
                      message_zh=f"离职日期早于劳动合同开始日期（{employment.contract_start}）：请核对日期。")
    evidence = session.get(EvidenceFile, evidence_id) if evidence_id else None
    if evidence_id and (evidence is None or evidence.employer_id != employer_id):
        raise Problem(422, "evidence_unknown", "No evidence file of yours has this id",
                      "Upload the file to /api/v1/registry/evidence first and give the id it answers.",
                      field="evidence_id",
                      message_zh="找不到贵单位的这个证明文件：请先上传证明文件，再填写返回的编号。")
    lacking = late_entry_lacks(on, today, reason=reason, evidence=evidence is not None)  # R25
    if "reason" in lacking:
        raise Problem(422, "late_resignation_reason", "A date before today needs a reason",
                      "Say why the resignation is recorded late, and attach the evidence.", field="reason",
                      message_zh="补登今天以前的离职须说明理由：请填写补登原因，并附上证明文件。")
    if "evidence" in lacking:
        raise Problem(422, "late_resignation_evidence", "A date before today needs an evidence file",
                      "Upload the signed resignation (PDF or JPEG) to /api/v1/registry/evidence and give "
                      "its id.", field="evidence_id",
                      message_zh="补登今天以前的离职须附证明：请上传签字的离职材料（PDF 或 JPEG），并填写返回的编号。")


def leave_team(session: Session, team: Team | None, worker: Worker, *,
               gone: str = "已离职") -> dict[str, Any] | None:
    """R17: a leader who resigns (or dies) leaves the team leaderless, and the answer asks for a new one."""
    if team is None:
        return None
    lock_team(session, team)
    if team.leader_worker_id != worker.id:
        return None
    team.leader_worker_id = None
    team.version += 1
    members = member_count(session, team)
    return {"team_id": team.id, "team_name": team.name, "members": members,
            "message": f"班组 {team.name} 的班组长{gone}：请指定新的班组长",
            "action": f"POST /api/v1/registry/teams/{team.id}/leader"}
