"""Projects and their contract chains as attendance knows them, learned from the assignment service's events.

``project.registered``, ``contract.awarded``, ``contract.completed`` and ``project.completed`` may arrive twice or
out of order: a completion known before its award stays a completion, and each handler is safe to run again.
A completed project's gates are disabled, and the whitelist engine told so (R24, R26).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from realname_attendance import device_events
from realname_attendance.models import Gate, Project, ProjectContract
from realname_codes.participation import ACTIVE, COMPLETED
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.fields import required_text
from realname_kit.bus.processing import Handler, PoisonMessage
from realname_kit.timeutil import utcnow


def project_registered(session: Session, event: Envelope) -> None:
    """One row per project, however often the event arrives."""
    project_id = required_text(event, "project_id")
    if session.get(Project, project_id) is None:
        session.add(Project(id=project_id, general_contractor_id=required_text(event, "general_contractor_id"),
                            name=required_text(event, "name")[:200]))


def contract_awarded(session: Session, event: Envelope) -> None:
    """The contractor takes part in the project (R21)."""
    contract_id, project_id = required_text(event, "contract_id"), required_text(event, "project_id")
    contractor_id = required_text(event, "contractor_id")
    known = session.get(ProjectContract, contract_id, with_for_update=True)
    if known is None:
        session.add(ProjectContract(contract_id=contract_id, project_id=project_id, contractor_id=contractor_id,
                                    status=ACTIVE))
    else:  # its completion came first: the contractor is learned, the contract stays completed
        known.contractor_id = contractor_id


def contract_completed(session: Session, event: Envelope) -> None:
    contract_id, project_id = required_text(event, "contract_id"), required_text(event, "project_id")
    known = session.get(ProjectContract, contract_id, with_for_update=True)
    if known is None:
        session.add(ProjectContract(contract_id=contract_id, project_id=project_id, contractor_id=None,
                                    status=COMPLETED))
    else:
        known.status = COMPLETED


def project_completed(session: Session, event: Envelope) -> None:
    """The project and every contract of it are completed (R24); its enabled gates are disabled."""
    project_id = required_text(event, "project_id")
    project = session.get(Project, project_id, with_for_update=True)
    if project is None:  # assignment records project.registered before: a redelivery brings it in order
        raise PoisonMessage(f"project.completed of {project_id}, a project never registered here")
    if project.completed_at is None:
        project.completed_at = utcnow()
    session.execute(update(ProjectContract).where(ProjectContract.project_id == project_id)
                    .values(status=COMPLETED))
    gates = session.scalars(select(Gate).where(Gate.project_id == project_id, Gate.enabled.is_(True))
                            .order_by(Gate.id).with_for_update())
    for gate in gates:
        gate.enabled = False
        gate.version += 1
        device_events.disabled(session, gate, device_events.PROJECT_COMPLETED)


project_handlers: dict[str, Handler] = {
    "project.registered": project_registered, "contract.awarded": contract_awarded,
    "contract.completed": contract_completed, "project.completed": project_completed,
}
