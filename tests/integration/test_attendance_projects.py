"""Attendance learns projects and their contract chains from assignment's events: twice is once, and a completion
that arrives before its award stays a completion (R21, R24)."""

from __future__ import annotations

import uuid

import pytest

from realname_attendance.models import Project, ProjectContract
from realname_kit.bus.processing import PoisonMessage
from tests.support.devices import build_site
from tests.support.stack import Stack


def test_projects_and_contracts_are_learned_once_in_whatever_order_they_come(stack: Stack) -> None:
    site = build_site(stack)
    site.learn("project.registered", project_id=site.project, general_contractor_id=site.gc, name="东方明珠二期")
    late, prompt = str(uuid.uuid4()), str(uuid.uuid4())
    site.learn("contract.completed", contract_id=late, project_id=site.project)
    site.learn("contract.awarded", contract_id=late, project_id=site.project, contractor_id=site.sub)
    site.learn("contract.awarded", contract_id=prompt, project_id=site.project, contractor_id=site.sub)
    site.learn("contract.awarded", contract_id=prompt, project_id=site.project, contractor_id=site.sub)
    with stack.db("attendance").transaction() as session:
        project = session.get(Project, site.project)
        assert project is not None and project.general_contractor_id == site.gc and project.completed_at is None
        contracts = {c.contract_id: (c.contractor_id, c.status) for c in session.query(ProjectContract)
                     .filter(ProjectContract.project_id == site.project)}
    assert contracts[late] == (site.sub, "completed") and contracts[prompt] == (site.sub, "active")
    assert stack.count("attendance", "SELECT count(*) FROM projects WHERE id = :p", p=site.project) == 1

    site.learn("project.completed", project_id=site.project)
    assert stack.count("attendance", "SELECT count(*) FROM project_contracts WHERE project_id = :p "
                                     "AND status = 'active'", p=site.project) == 0


@pytest.mark.parametrize(("event_type", "data"), [
    ("project.completed", {"project_id": "never-registered"}),
    ("project.registered", {"project_id": "p-1", "name": "无总包"}),
    ("contract.awarded", {"contract_id": "c-1", "project_id": "p-1", "contractor_id": ""}),
])
def test_an_event_that_can_never_be_applied_is_refused(stack: Stack, event_type: str, data: dict[str, str]) -> None:
    site = build_site(stack)
    with pytest.raises(PoisonMessage):
        site.learn(event_type, **data)
