"""Rules of assignment and entry confirmation as plain functions, no I/O (R3, R12, R18-R20, R24).

The service functions in ``assignments.py`` load rows, ask these rules, and write what they decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from realname_assignment.contract_rules import CONTRACT_COMPLETED, PROJECT_COMPLETED
from realname_codes.roles import (
    ASSIGN_WORKERS,
    CONFIRM_ENTRY,
    EMPLOYERS,
    USING_ENTERPRISE_ROLES,
)
from realname_kit.auth import Caller
from realname_kit.problems import Problem

REQUESTED, ACCEPTED, REJECTED, WITHDRAWN, EXITED = "requested", "accepted", "rejected", "withdrawn", "exited"
STATUSES = (REQUESTED, ACCEPTED, REJECTED, WITHDRAWN, EXITED)
LIVE = (REQUESTED, ACCEPTED)  # on the project, or waiting to be: the partial unique index counts these (R20)
ACTIVE_CONTRACT = "active"

ACCEPT, REJECT = "accept", "reject"
MAX_BATCH = 1_000  # R18, R19: a list of workers, or of decisions, in one call

# Why a worker leaves a project (R24); a requested assignment is withdrawn for the same causes.
EMPLOYMENT_ENDED, DECEASED = "employment_ended", "deceased"
EXIT_CAUSES = (EMPLOYMENT_ENDED, DECEASED, CONTRACT_COMPLETED, PROJECT_COMPLETED)



class WorkerFacts(Protocol):
    """What the assignment service knows of a worker (``KnownWorker``, or a fake in tests)."""

    @property
    def employer_id(self) -> str | None: ...
    @property
    def employment_status(self) -> str: ...
    @property
    def identity_status(self) -> str: ...
    @property
    def deceased(self) -> bool: ...


class ContractFacts(Protocol):
    @property
    def project_id(self) -> str: ...
    @property
    def contractor_id(self) -> str: ...
    @property
    def awarded_by(self) -> str: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why one worker is not assigned, or one decision not taken: a stable code and words a person acts on."""

    reason: str
    message: str


def worker_refusal(worker: WorkerFacts | None, employer_id: str) -> Refusal | None:
    """Why this employer cannot assign this worker now, or None when it can.

    An unverified identity does not stop an assignment (R3): reads made while the authority is away are
    verified later. A rejected one does.
    """
    if worker is None:
        return Refusal("worker_unknown", "This worker is not known here yet: a registration made a moment ago "
                                         "arrives within seconds. Try again shortly.")
    if worker.deceased:
        return Refusal("deceased", "This worker is recorded as deceased.")
    if worker.employment_status != "active" or worker.employer_id is None:
        return Refusal("resigned", "This worker's labour contract has ended (resigned). Register them again "
                                   "before assigning them.")
    if worker.employer_id != employer_id:
        return Refusal("not_employed_by_you", "This worker is employed by another enterprise (R12): only their "
                                              "employer assigns them.")
    if worker.identity_status == "rejected":
        return Refusal("identity_rejected", "The identity authority rejected this worker's identity: read their "
                                            "ID card again, or correct the registration.")
    return None


def assigning_party(caller: Caller, contract: ContractFacts) -> str:
    """The employer assigning through ``contract``: the caller's enterprise, when the contract names it (R18).

    The enterprise itself (a labour company; a general contractor for its site staff, R13), or one of its staff
    holding ``assign_workers`` on the contract's project (R32). Raises the problem to answer otherwise.
    """
    own = caller.enterprise_id
    if own is None or own != contract.contractor_id:
        raise Problem(403, "not_your_contract", "This contract does not name your enterprise as its contractor",
                      "Assign workers through one of your own contracts on the project.", field="contract_id",
                      message_zh="该合同的承包方不是贵单位：请通过贵单位在该项目上的合同派遣工人。")
    if not (caller.kind == "enterprise" and caller.roles & set(EMPLOYERS)) and not caller.holds(
            contract.project_id, ASSIGN_WORKERS):
        raise Problem(403, "function_not_delegated", f"You do not hold {ASSIGN_WORKERS} on this project",
                      "Your project manager can delegate it to you.", project_id=contract.project_id,
                      function=ASSIGN_WORKERS,
                      message_zh="您在该项目上没有派遣工人（assign_workers）的职能：请项目经理授权给您。")
    if contract.status != ACTIVE_CONTRACT:
        raise Problem(409, "contract_completed", "This contract is completed: nobody is assigned through it any more",
                      field="contract_id",
                      message_zh="该合同已完结，不能再通过它派遣工人：请选择仍在履行的合同。")
    return own


def may_change(caller: Caller, employer_id: str, project_id: str) -> bool:
    """Whether the caller may change or withdraw an assignment of ``employer_id`` (R18): the employer's side."""
    if not caller.acts_for(employer_id):
        return False
    return (caller.kind == "enterprise" and bool(caller.roles & set(EMPLOYERS))) or caller.holds(project_id,
                                                                                                ASSIGN_WORKERS)


def may_decide(caller: Caller, contract: ContractFacts) -> bool:
    """Whether the caller confirms entry on this contract (R19): the using enterprise that awarded it, or one of its
    accounts holding ``confirm_entry`` on the project (its project manager, or staff it was delegated to)."""
    if not caller.acts_for(contract.awarded_by):
        return False
    return (caller.kind == "enterprise" and bool(caller.roles & USING_ENTERPRISE_ROLES)) or caller.holds(
        contract.project_id, CONFIRM_ENTRY)


def still_requested(status: str) -> None:
    """A change or a withdrawal is possible only until the using enterprise decides (R18)."""
    if status == REQUESTED:
        return
    if status == WITHDRAWN:
        raise Problem(409, "already_withdrawn", "This assignment was withdrawn", assignment_status=status,
                      message_zh="该派遣已撤回：如仍需派遣，请重新提交。")
    raise Problem(409, "already_decided", "The using enterprise has decided on this assignment",
                  "Once accepted or rejected it can no longer be changed or withdrawn; assign the worker again if "
                  "they were rejected.", assignment_status=status,
                  message_zh="用工单位已对该派遣作出决定，不能再修改或撤回：如被拒绝，请重新派遣。")


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens to one assignment on one decision: its new status (None: unchanged) and the answer's outcome."""

    outcome: str
    new_status: str | None = None
    refusal: Refusal | None = None


_REPEATED = {(ACCEPT, ACCEPTED): "already_accepted", (REJECT, REJECTED): "already_rejected"}
_CLOSED = {
    ACCEPTED: Refusal("already_decided", "This assignment was already accepted."),
    REJECTED: Refusal("already_decided", "This assignment was already rejected."),
    WITHDRAWN: Refusal("withdrawn", "The employer withdrew this assignment."),
    EXITED: Refusal("exited", "This worker has already left the project."),
}


def decide(status: str, decision: str, contract_status: str) -> Decision:
    """The decision table of entry confirmation (R19, R20): a repeated decision is answered, never applied twice."""
    repeated = _REPEATED.get((decision, status))
    if repeated is not None:
        return Decision(repeated)  # R20: the same entry time, the worker once on the project
    if status in _CLOSED:
        return Decision("refused", refusal=_CLOSED[status])
    if contract_status != ACTIVE_CONTRACT:
        return Decision("refused", refusal=Refusal("contract_completed", "The contract is completed."))
    return Decision(ACCEPTED, ACCEPTED) if decision == ACCEPT else Decision(REJECTED, REJECTED)


def check_decisions(items: Sequence[dict[str, Any]]) -> None:
    """A batch of decisions either makes sense as a whole or changes nothing (a 422 naming the item)."""
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if item["decision"] == REJECT and not (item.get("reason") or "").strip():
            raise Problem(422, "rejection_reason_required", "A rejection needs a reason",
                          "Say why, so that the employer can act on it.", field=f"items.{index}.reason",
                          index=index,
                          message_zh="拒绝时须说明理由：请填写拒绝原因，便于用人单位处理。")
        first = seen.setdefault(item["assignment_id"], index)
        if first != index:
            raise Problem(422, "assignment_repeated", "The same assignment appears twice in this batch",
                          f"Items {first} and {index} name the same assignment: keep one.",
                          field=f"items.{index}.assignment_id", index=index,
                          message_zh="同一派遣在本批中出现了两次：请只保留一条。")


def distinct_workers(worker_ids: Sequence[str]) -> list[str]:
    """The workers named, once each, in the order given (a repeated id in a list is one worker)."""
    return list(dict.fromkeys(worker_ids))


def entry_time(status: str, entry_at: datetime | None) -> datetime | None:
    """The entry time to show: the moment of acceptance (R19), for an assignment that was accepted."""
    return entry_at if status in (ACCEPTED, EXITED) else None
