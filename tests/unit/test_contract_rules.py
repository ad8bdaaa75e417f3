"""The rules of the contract chain, without I/O: who awards what at which tier (R21), names (R22), completion (R24).

Projects, contracts and parties are small frozen dataclasses shaped as the rules expect.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_assignment.contract_rules import (
    NAME_MISSING_MARKER,
    Award,
    award_tier,
    completable_alone,
    contractor_problem,
    display_name,
    may_see,
    normalise_contract_name,
    same_award,
)
from realname_kit.auth import Caller
from realname_kit.problems import Problem
from tests.support.credit_codes import uscc_for

GC_ID, SP_ID, SP2_ID, LA_ID, LB_ID = "gc-1", "sp-1", "sp-2", "la-1", "lb-1"


@dataclass(frozen=True)
class FakeProject:
    id: str = "p-1"
    general_contractor_id: str = GC_ID
    status: str = "active"


@dataclass(frozen=True)
class FakeContract:
    id: str
    tier: int
    kind: str
    awarded_by: str
    contractor_id: str
    project_id: str = "p-1"
    status: str = "active"
    parent_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class FakeParty:
    name: str
    kind: str


PROJECT = FakeProject()
# The chain of PROJECT: its own contract; GC awarded LA (labour) and SP (specialty); SP awarded LB beneath its own.
OWN = FakeContract("c-own", 0, "general", GC_ID, GC_ID)
LA = FakeContract("c-la", 1, "labour", GC_ID, LA_ID, name="钢筋劳务分包")
SP = FakeContract("c-sp", 1, "specialty", GC_ID, SP_ID, name="幕墙专业分包")
LB = FakeContract("c-lb", 2, "labour", SP_ID, LB_ID, parent_id="c-sp")
CHAIN = (OWN, LA, SP, LB)


def caller(role: str, enterprise_id: str | None = None, kind: str = "enterprise") -> Caller:
    return Caller(subject=f"{role}-{enterprise_id}", enterprise_id=enterprise_id, roles=frozenset({role}), kind=kind)


def reason(award: Award, project: FakeProject = PROJECT) -> tuple[int, str]:
    with pytest.raises(Problem) as refused:
        award_tier(project, award)
    return refused.value.status, refused.value.reason


# --- award_tier (R21) ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["labour", "specialty"])
def test_the_general_contractor_awards_first_tier_subcontracts_of_either_kind_r21(kind: str) -> None:
    assert award_tier(PROJECT, Award(GC_ID, kind, None)) == 1


@pytest.mark.parametrize("awarding", [SP_ID, LA_ID, "gc-other", None])
def test_nobody_but_the_general_contractor_awards_a_first_tier_subcontract_r21(awarding: str | None) -> None:
    assert reason(Award(awarding, "labour", None)) == (403, "first_tier_by_general_contractor_only")


def test_a_specialty_subcontractor_awards_a_second_tier_labour_subcontract_beneath_its_own_r21() -> None:
    assert award_tier(PROJECT, Award(SP_ID, "labour", SP)) == 2


def test_the_projects_own_contract_is_no_parent_r21() -> None:
    assert reason(Award(GC_ID, "labour", OWN)) == (422, "parent_is_the_project")


def test_a_parent_of_another_project_is_not_found_r21() -> None:
    assert reason(Award(SP_ID, "labour", replace(SP, project_id="p-2"))) == (422, "parent_contract_not_found")


@pytest.mark.parametrize(("awarding", "parent"), [(SP2_ID, SP), (GC_ID, SP), (SP_ID, LA), (None, SP)])
def test_only_the_holder_of_a_contract_awards_beneath_it_r21(awarding: str | None, parent: FakeContract) -> None:
    assert reason(Award(awarding, "labour", parent)) == (403, "not_your_contract")


def test_there_is_no_third_tier_r21() -> None:
    assert reason(Award(LB_ID, "labour", LB)) == (422, "no_third_tier")


def test_a_labour_subcontractor_awards_nothing_beneath_its_contract_r21() -> None:
    assert reason(Award(LA_ID, "labour", LA)) == (422, "labour_awards_nothing_beneath")


def test_beneath_a_specialty_subcontract_only_labour_is_awarded_r21() -> None:
    assert reason(Award(SP_ID, "specialty", SP)) == (422, "second_tier_is_labour_only")


TIERS = st.integers(min_value=0, max_value=3)
KINDS = st.sampled_from(["general", "specialty", "labour"])
ENTERPRISES = st.sampled_from([GC_ID, SP_ID, SP2_ID, LA_ID, None])


@given(tier=TIERS, parent_kind=KINDS, holder=ENTERPRISES, awarding=ENTERPRISES, kind=KINDS,
       same_project=st.booleans())
def test_a_second_tier_is_given_only_beneath_ones_own_first_tier_specialty_contract_and_only_for_labour_r21(
        tier: int, parent_kind: str, holder: str | None, awarding: str | None, kind: str, same_project: bool) -> None:
    parent = FakeContract("c-x", tier, parent_kind, GC_ID, holder or "nobody",
                          project_id=PROJECT.id if same_project else "p-2")
    allowed = (tier == 1 and parent_kind == "specialty" and holder is not None and awarding == holder
               and kind == "labour" and same_project)
    try:
        assert award_tier(PROJECT, Award(awarding, kind, parent)) == 2
    except Problem as refused:
        assert not allowed, refused
        assert refused.status in (403, 422)
    else:
        assert allowed


@given(awarding=ENTERPRISES, kind=KINDS)
def test_without_a_parent_the_tier_is_one_or_a_403_r21(awarding: str | None, kind: str) -> None:
    if awarding == GC_ID:
        assert award_tier(PROJECT, Award(awarding, kind, None)) == 1
    else:
        assert reason(Award(awarding, kind, None))[0] == 403


# --- contractor_problem -------------------------------------------------------------------------------------------

def test_an_unknown_credit_code_is_a_contractor_unknown_problem() -> None:
    unknown = uscc_for("nobody registered")
    problem = contractor_problem(unknown, None, "labour")
    assert problem is not None
    assert (problem.status, problem.reason) == (422, "contractor_unknown")
    assert problem.extra == {"field": "contractor_uscc", "contractor_uscc": unknown}


@pytest.mark.parametrize("mistyped", ["91310000MA0000001X", "9131000", "91310000MA00000O1X"])
def test_a_malformed_credit_code_is_a_credit_code_invalid_problem_not_an_unknown_contractor(mistyped: str) -> None:
    problem = contractor_problem(mistyped, None, "labour")
    assert problem is not None
    assert (problem.status, problem.reason, problem.extra["field"]) == (422, "credit_code_invalid", "contractor_uscc")
    assert "营业执照" in problem.message_zh


@pytest.mark.parametrize(("party_kind", "kind"), [("specialty", "labour"), ("labour", "specialty"),
                                                   ("general_contractor", "labour"),
                                                   ("general_contractor", "specialty")])
def test_a_contractor_of_another_kind_is_a_contractor_kind_mismatch(party_kind: str, kind: str) -> None:
    problem = contractor_problem("USCC", FakeParty("某某公司", party_kind), kind)
    assert problem is not None
    assert (problem.status, problem.reason, problem.extra["field"]) == (422, "contractor_kind_mismatch",
                                                                       "contractor_uscc")
    assert problem.detail is not None and "某某公司" in problem.detail and party_kind in problem.detail


@given(party_kind=st.sampled_from(["specialty", "labour", "general_contractor"]),
       kind=st.sampled_from(["specialty", "labour"]))
def test_a_known_contractor_takes_exactly_the_contracts_of_its_own_kind(party_kind: str, kind: str) -> None:
    problem = contractor_problem("USCC", FakeParty("某某公司", party_kind), kind)
    assert (problem is None) == (party_kind == kind)


# --- names (R22) --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tier", [0, 1, 2])
def test_a_named_contract_shows_its_name_r22(tier: int) -> None:
    assert display_name("幕墙专业分包", "滨江住宅", tier) == ("幕墙专业分包", False)


@pytest.mark.parametrize(("name", "tier"), [(None, 1), (None, 2), ("", 1), ("", 2)])
def test_a_contract_without_a_name_shows_the_projects_name_marked_r22(name: str | None, tier: int) -> None:
    assert display_name(name, "滨江住宅", tier) == ("滨江住宅（未填写合同名称）", True)


def test_a_subcontract_without_a_name_is_marked_when_no_tier_is_given_r22() -> None:
    assert display_name(None, "滨江住宅") == (f"滨江住宅{NAME_MISSING_MARKER}", True)


def test_the_projects_own_contract_shows_the_projects_name_unmarked_r22() -> None:
    assert display_name(None, "滨江住宅", 0) == ("滨江住宅", False)


@given(name=st.text(min_size=1), project_name=st.text(min_size=1), tier=st.integers(min_value=0, max_value=2))
def test_a_name_is_shown_as_it_is_and_its_absence_always_visibly_r22(name: str, project_name: str, tier: int) -> None:
    assert display_name(name, project_name, tier) == (name, False)
    expected = (project_name, False) if tier == 0 else (project_name + NAME_MISSING_MARKER, True)
    assert display_name(None, project_name, tier) == expected


# --- normalise_contract_name (R22) --------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "kept"), [(None, None), ("", None), ("   ", None), ("\u3000\t\n", None),
                                             (" 幕墙专业分包 ", "幕墙专业分包"),
                                             ("\u3000钢筋 劳务\u3000", "钢筋 劳务")],
                         ids=["none", "empty", "spaces", "ideographic-space-tab-newline", "spaces-around",
                              "ideographic-spaces-around"])
def test_a_name_is_kept_without_surrounding_blanks_and_a_blank_one_is_none_r22(typed: str | None,
                                                                              kept: str | None) -> None:
    assert normalise_contract_name(typed) == kept


@given(st.one_of(st.none(), st.text()))
def test_normalising_a_name_twice_changes_nothing_and_leaves_no_blank_name_r22(typed: str | None) -> None:
    kept = normalise_contract_name(typed)
    assert normalise_contract_name(kept) == kept
    assert kept is None or (kept == kept.strip() and kept != "")


# --- same_award ---------------------------------------------------------------------------------------------------

def test_the_same_terms_are_the_same_award() -> None:
    assert same_award(LA, "labour", None, "钢筋劳务分包")
    assert same_award(LB, "labour", "c-sp", None)


@pytest.mark.parametrize(("kind", "parent_id", "name"), [("specialty", None, "钢筋劳务分包"),
                                                         ("labour", "c-sp", "钢筋劳务分包"),
                                                         ("labour", None, "模板劳务分包"), ("labour", None, None)],
                         ids=["another-kind", "another-parent", "another-name", "no-name"])
def test_other_terms_are_another_award(kind: str, parent_id: str | None, name: str | None) -> None:
    assert not same_award(LA, kind, parent_id, name)


# --- completable_alone (R24) --------------------------------------------------------------------------------------

def test_the_projects_own_contract_is_completed_with_the_project_only_r24() -> None:
    with pytest.raises(Problem) as refused:
        completable_alone(OWN)
    assert (refused.value.status, refused.value.reason) == (422, "complete_the_project")
    assert refused.value.extra == {"contract_id": OWN.id}


@pytest.mark.parametrize("contract", [LA, SP, LB], ids=["first-tier-labour", "first-tier-specialty", "second-tier"])
def test_a_subcontract_is_completed_on_its_own_r24(contract: FakeContract) -> None:
    completable_alone(contract)  # no Problem


# --- may_see (R21) ------------------------------------------------------------------------------------------------

def visible(who: Caller) -> set[str]:
    return {c.id for c in CHAIN if may_see(who, PROJECT, c)}


@pytest.mark.parametrize("who", [caller("general_contractor", GC_ID), caller("staff", GC_ID, "staff"),
                                 caller("project_manager", GC_ID, "staff"), caller("regulator", kind="regulator"),
                                 caller("admin", kind="admin"), caller("service", kind="service")],
                         ids=["general-contractor", "its-staff", "its-project-manager", "regulator", "admin",
                              "service"])
def test_the_general_contractor_and_the_readers_of_everything_see_the_whole_chain_r21(who: Caller) -> None:
    assert visible(who) == {c.id for c in CHAIN}


def test_a_specialty_subcontractor_sees_its_own_contract_and_those_it_awarded_r21() -> None:
    assert visible(caller("specialty", SP_ID)) == {SP.id, LB.id}
    assert visible(caller("staff", SP_ID, "staff")) == {SP.id, LB.id}


def test_a_labour_company_sees_only_the_contracts_it_holds_r21() -> None:
    assert visible(caller("labour", LA_ID)) == {LA.id}
    assert visible(caller("labour", LB_ID)) == {LB.id}


@pytest.mark.parametrize("who", [caller("specialty", SP2_ID), caller("general_contractor", "gc-other"),
                                 caller("labour", "lx-1"), caller("staff", None, "staff"), Caller()],
                         ids=["another-specialty", "another-general-contractor", "another-labour-company",
                              "staff-of-nobody", "anonymous"])
def test_anyone_outside_the_chain_sees_none_of_it_r21(who: Caller) -> None:
    assert visible(who) == set()


@given(enterprise=st.sampled_from([SP_ID, SP2_ID, LA_ID, LB_ID, "lx-1"]), role=st.sampled_from(
    ["specialty", "labour", "staff", "project_manager"]))
def test_outside_the_general_contractor_a_contract_is_seen_only_by_its_two_parties_r21(enterprise: str,
                                                                                      role: str) -> None:
    who = caller(role, enterprise)
    for contract in CHAIN:
        assert may_see(who, PROJECT, contract) == (enterprise in (contract.awarded_by, contract.contractor_id))
