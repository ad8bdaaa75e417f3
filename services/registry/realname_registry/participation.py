"""What the registry knows of projects' contract chains, learned from the assignment service's events.

``contract.awarded``, ``contract.completed`` and ``project.completed`` may arrive twice or out of order: a
completion known before its award stays a completion, and each handler is safe to run again.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from realname_codes.participation import ACTIVE, COMPLETED
from realname_kit.auth import Caller
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.fields import required_text
from realname_kit.bus.processing import Handler, PoisonMessage
from realname_kit.timeutil import utcnow
from realname_registry.models import Project, ProjectContract
from realname_registry.projects import known_project
from realname_registry.rules.participation import participation_problem
from realname_registry.workers.access import employer_of


def contract_awarded(session: Session, event: Envelope) -> None:
    """``contract.awarded``: the contractor takes part in the project."""
    contract_id, project_id = required_text(event, "contract_id"), required_text(event, "project_id")
    contractor_id = required_text(event, "contractor_id")
    known = session.get(ProjectContract, contract_id, with_for_update=True)
    if known is None:
        session.add(ProjectContract(contract_id=contract_id, project_id=project_id, contractor_id=contractor_id,
                                    status=ACTIVE))
    else:  # its completion came first: the contractor is learned, the contract stays completed
        known.contractor_id = contractor_id


def contract_completed(session: Session, event: Envelope) -> None:
    """``contract.completed``: its contractor no longer brings people onto the project through it (R24)."""
    contract_id, project_id = required_text(event, "contract_id"), required_text(event, "project_id")
    known = session.get(ProjectContract, contract_id, with_for_update=True)
    if known is None:
        session.add(ProjectContract(contract_id=contract_id, project_id=project_id, contractor_id=None,
                                    status=COMPLETED))
    else:
        known.status = COMPLETED


def project_completed(session: Session, event: Envelope) -> None:
    """``project.completed``: the project and every contract of it are completed (R24)."""
    project_id = required_text(event, "project_id")
    project = session.get(Project, project_id, with_for_update=True)
    if project is None:
        raise PoisonMessage(f"project.completed of {project_id}, a project never registered here")
    if project.completed_at is None:
        project.completed_at = utcnow()
    session.execute(update(ProjectContract).where(ProjectContract.project_id == project_id)
                    .values(status=COMPLETED))


def project_taken_part_in(session: Session, caller: Caller, project_id: str) -> Project:
    """The project, when the caller's enterprise takes part in it now; else the problem to answer."""
    enterprise_id = employer_of(caller)
    project = known_project(session, project_id)
    held = session.scalars(select(ProjectContract.status).where(ProjectContract.project_id == project_id,
                                                                ProjectContract.contractor_id == enterprise_id))
    problem = participation_problem(enterprise_id, project_id, general_contractor_id=project.general_contractor_id,
                                    project_completed=project.completed_at is not None, held=set(held))
    if problem is not None:
        raise problem
    return project


participation_handlers: dict[str, Handler] = {
    "contract.awarded": contract_awarded, "contract.completed": contract_completed,
    "project.completed": project_completed,
}
