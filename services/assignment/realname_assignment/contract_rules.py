"""Rules of the contract chain as plain functions, no I/O (R21 who awards what at which tier, R22 names).

A project's chain has two tiers: the general contractor awards first-tier specialty or labour subcontracts;
a first-tier specialty subcontractor awards second-tier labour subcontracts beneath its own. Nothing deeper.
The functions take anything shaped like a project, a contract or a party (the models, or a test's fakes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from realname_assignment.project_rules import READERS
from realname_codes.uscc import uscc_problem
from realname_kit.auth import Caller
from realname_kit.problems import Problem

GENERAL, SPECIALTY, LABOUR = "general", "specialty", "labour"
CONTRACT_KINDS = (SPECIALTY, LABOUR)  # what is awarded; a project's own (GENERAL) contract comes with it
OWN_TIER, FIRST_TIER, SECOND_TIER = 0, 1, 2
COMPLETED = "completed"
CONTRACT_COMPLETED, PROJECT_COMPLETED = "contract_completed", "project_completed"  # causes of exit (R24)
NAME_MISSING_MARKER = "（未填写合同名称）"  # R22: shown after the project's name when a contract has none


class ProjectLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def general_contractor_id(self) -> str: ...
    @property
    def status(self) -> str: ...


class ContractLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def project_id(self) -> str: ...
    @property
    def tier(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def awarded_by(self) -> str: ...
    @property
    def contractor_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def parent_id(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...


class PartyLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Award:
    """What an award request asks for, as the rules judge it."""

    awarding: str | None  # the caller's enterprise
    kind: str
    parent: ContractLike | None


def award_tier(project: ProjectLike, award: Award) -> int:
    """The tier the award gets, or the Problem saying who may award what where (R21)."""
    if award.parent is None:
        if award.awarding != project.general_contractor_id:
            raise Problem(403, "first_tier_by_general_contractor_only",
                          "Only the project's general contractor awards first-tier subcontracts",
                          "A specialty subcontractor awards labour subcontracts beneath its own contract: "
                          "give its id as parent_id.", project_id=project.id,
                          message_zh="只有项目的总承包单位能发包一级分包：专业分包单位请在自己的合同下发包劳务分包，并"
                                     "填写上级合同（parent_id）。")
        return FIRST_TIER
    return _second_tier(project, award, award.parent)


def _second_tier(project: ProjectLike, award: Award, parent: ContractLike) -> int:
    if parent.tier == OWN_TIER:
        raise Problem(422, "parent_is_the_project", "First-tier subcontracts hang under the project itself",
                      "Leave parent_id out to award a first-tier subcontract.", field="parent_id",
                      parent_id=parent.id,
                      message_zh="一级分包直接挂在项目下：发包一级分包时请不要填写上级合同（parent_id）。")
    if parent.project_id != project.id:
        raise Problem(422, "parent_contract_not_found", "The parent contract is not one of this project's",
                      "parent_id names your own first-tier specialty contract on this project.",
                      field="parent_id", parent_id=parent.id,
                      message_zh="上级合同不是本项目的合同：请填写贵单位在本项目上的一级专业分包合同。")
    if parent.contractor_id != award.awarding:
        raise Problem(403, "not_your_contract", "Only the subcontractor holding a contract awards beneath it",
                      "parent_id names your own first-tier specialty contract on this project.",
                      field="parent_id", parent_id=parent.id,
                      message_zh="只有持有该合同的分包单位才能在其下发包：请填写贵单位自己的一级专业分包合同。")
    if parent.tier != FIRST_TIER:
        raise Problem(422, "no_third_tier", "A second-tier subcontract has nothing beneath it",
                      "The chain has two tiers: general contractor, first-tier subcontract, second-tier labour.",
                      field="parent_id", parent_id=parent.id,
                      message_zh="二级分包之下不能再分包：合同链只有总包、一级分包、二级劳务分包三层。")
    if parent.kind != SPECIALTY:
        raise Problem(422, "labour_awards_nothing_beneath", "A labour subcontractor awards no subcontracts",
                      "Only a first-tier specialty subcontractor awards labour subcontracts beneath its own.",
                      field="parent_id", parent_id=parent.id,
                      message_zh="劳务分包单位不能再分包：只有一级专业分包单位可在其合同下发包劳务分包。")
    if award.kind != LABOUR:
        raise Problem(422, "second_tier_is_labour_only", "Beneath a specialty subcontract only labour is awarded",
                      "Give kind labour, or ask the general contractor to award a first-tier specialty one.",
                      field="kind",
                      message_zh="专业分包之下只能发包劳务分包：请把合同类型改为劳务（labour），或请总包单位发包一级专"
                                 "业分包。")
    return SECOND_TIER


def contractor_problem(uscc: str, party: PartyLike | None, kind: str) -> Problem | None:
    """Why the named subcontractor cannot take a contract of ``kind``, or None when it can."""
    why = None if party is not None else uscc_problem(uscc)
    if why:  # a mistyped code is not an enterprise that has yet to register
        return Problem(422, "credit_code_invalid", "The unified social credit code is not valid",
                       f"{why}: check it against the subcontractor's business licence.", field="contractor_uscc",
                       contractor_uscc=uscc,
                       message_zh="统一社会信用代码不正确（应为18位，不含 I、O、Z、S、V，末位为校验位）："
                                  "请对照分包单位的营业执照逐位核对。")
    if party is None:
        return Problem(422, "contractor_unknown", "No enterprise with this unified social credit code is known here",
                       "The subcontractor registers on the platform first; a registration a moment ago is known "
                       "within seconds.", field="contractor_uscc", contractor_uscc=uscc,
                       message_zh="平台上没有这个统一社会信用代码的单位：请分包单位先在平台注册，刚注册的需几秒后才能"
                                  "查到。")
    if party.kind != kind:
        return Problem(422, "contractor_kind_mismatch", f"The subcontractor is not a {kind} enterprise",
                       f"{party.name} is registered as {party.kind}: award it a {party.kind} subcontract, "
                       "or name another enterprise.", field="contractor_uscc", contractor_uscc=uscc,
                       message_zh=f"{party.name}登记的单位类型与合同类型不符：请按其类型发包，或改选其他单位。")
    return None


def open_for_awards(project: ProjectLike, parent: ContractLike | None) -> None:
    """A completed project or parent contract takes no new contracts (R24: completion is final)."""
    if project.status == COMPLETED:
        raise Problem(409, "project_completed", "The project is completed and takes no new contracts",
                      project_id=project.id,
                      message_zh="该项目已竣工，不能再发包新合同。")
    if parent is not None and parent.status == COMPLETED:
        raise Problem(409, "contract_completed", "The parent contract is completed and takes no new contracts",
                      field="parent_id", parent_id=parent.id,
                      message_zh="上级合同已完结，不能在其下发包新合同。")


def normalise_contract_name(raw: str | None) -> str | None:
    """The name as stored: without surrounding blanks; a blank name is no name (R22 then shows the marker)."""
    if raw is None:
        return None
    return raw.strip() or None


def normalise_uscc(raw: str) -> str:
    """A credit code as the parties table holds it: upper case, without surrounding blanks."""
    return raw.strip().upper()


def display_name(contract_name: str | None, project_name: str, tier: int = FIRST_TIER) -> tuple[str, bool]:
    """R22: the contract's name, or the project's registered name with a visible marker (and ``True``).

    The project's own contract (tier 0) is the project: it shows the project's name, unmarked.
    """
    if contract_name:
        return contract_name, False
    if tier == OWN_TIER:
        return project_name, False
    return f"{project_name}{NAME_MISSING_MARKER}", True


# --- who sees what (R21) -----------------------------------------------------------------------------------

def sees_whole_chain(caller: Caller, project: ProjectLike) -> bool:
    """The general contractor (and its accounts) and the readers of everything see a project's whole chain."""
    return bool(caller.roles & READERS) or caller.acts_for(project.general_contractor_id)


def may_see(caller: Caller, project: ProjectLike, contract: ContractLike) -> bool:
    """R21: a subcontractor sees the contracts it holds and those it awarded (beneath its own); a labour
    company only the ones it holds, since it awards none."""
    return (sees_whole_chain(caller, project) or caller.acts_for(contract.contractor_id)
            or caller.acts_for(contract.awarded_by))


def may_complete(caller: Caller, project: ProjectLike, contract: ContractLike) -> bool:
    """The awarding party, or the project's general contractor, completes a subcontract (R24)."""
    return caller.acts_for(contract.awarded_by) or caller.acts_for(project.general_contractor_id)


def completable_alone(contract: ContractLike) -> None:
    """The project's own contract ends with the project, not on its own (R24)."""
    if contract.tier == OWN_TIER:
        raise Problem(422, "complete_the_project", "The project's own contract is completed with the project",
                      "Complete the project instead: POST /api/v1/assignment/projects/{project_id}/completion.",
                      contract_id=contract.id,
                      message_zh="项目本身的合同随项目竣工一并完结：请办理项目竣工。")


def may_complete_project(caller: Caller, project: ProjectLike) -> bool:
    return caller.acts_for(project.general_contractor_id)


def same_award(existing: ContractLike, kind: str, parent_id: str | None, name: str | None) -> bool:
    """Is a request for an existing link the same request again (a retry), not a different one?"""
    return (existing.kind, existing.parent_id, existing.name) == (kind, parent_id, name)
