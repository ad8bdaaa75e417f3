"""Who takes part in a project (R21), and what the registry answers an employer who does not (R16, R24)."""

from __future__ import annotations

from realname_codes.participation import ACTIVE, COMPLETED, NONE, participation
from realname_registry.rules.participation import participation_problem

GC, LABOUR = "e-gc", "e-labour"


def taking_part(enterprise: str, *, held: tuple[str, ...] = (), project_completed: bool = False) -> str:
    return participation(enterprise, general_contractor_id=GC, project_completed=project_completed, held=held)


def test_the_general_contractor_takes_part_in_its_project_without_any_awarded_contract() -> None:
    assert taking_part(GC) == ACTIVE


def test_an_enterprise_awarded_an_active_contract_takes_part() -> None:
    assert taking_part(LABOUR, held=(ACTIVE,)) == ACTIVE
    assert taking_part(LABOUR, held=(COMPLETED, ACTIVE)) == ACTIVE


def test_an_enterprise_without_a_contract_takes_no_part_even_in_a_completed_project() -> None:
    assert taking_part(LABOUR) == NONE
    assert taking_part(LABOUR, project_completed=True) == NONE


def test_every_contract_completed_or_the_project_completed_ends_the_part_r24() -> None:
    assert taking_part(LABOUR, held=(COMPLETED, COMPLETED)) == COMPLETED
    assert taking_part(LABOUR, held=(ACTIVE,), project_completed=True) == COMPLETED
    assert taking_part(GC, project_completed=True) == COMPLETED


def test_the_registry_refuses_each_case_with_its_reason_in_both_languages() -> None:
    def reason(*, project_completed: bool, held: tuple[str, ...]) -> str | None:
        problem = participation_problem(LABOUR, "p-1", general_contractor_id=GC, project_completed=project_completed,
                                        held=held)
        if problem is None:
            return None
        assert problem.message_zh and problem.extra["project_id"] == "p-1"
        return problem.reason

    assert reason(project_completed=False, held=()) == "not_on_project"
    assert reason(project_completed=False, held=(COMPLETED,)) == "contract_completed"
    assert reason(project_completed=True, held=(ACTIVE,)) == "project_completed"
    assert reason(project_completed=False, held=(ACTIVE,)) is None
