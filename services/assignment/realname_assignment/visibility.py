"""Who sees which workers of a project (R21): the contract chain decides, on every query.

- Regulators (and our own services) see every worker of every project.
- The general contractor, and its staff holding ``view_workforce`` on the project, see the workers of its
  first-tier subcontracts, and those of the second-tier labour subcontracts beneath a first-tier specialty
  subcontractor once that subcontractor has accepted them.
- A specialty subcontractor sees its own chain: its first-tier contracts and the labour subcontracts beneath.
- A labour company sees only its own workers.
- Anyone else sees nothing, and is told the project does not exist for them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from realname_assignment.models import Assignment, Contract, Project
from realname_assignment.project_rules import READERS
from realname_codes.roles import VIEW_WORKFORCE
from realname_kit.auth import Caller

ENTERED = ("accepted", "exited")  # an assignment its using enterprise has accepted (and perhaps since exited)


def project_chain(session: Session, project: Project) -> list[Contract]:
    """The project's contracts (a handful): read once per query, for both questions below."""
    return list(session.scalars(select(Contract).where(Contract.project_id == project.id)))


def workforce_filter(caller: Caller, project: Project, chain: Sequence[Contract]) -> ColumnElement[bool]:
    """The condition on this project's assignments that this caller may see; ``false()`` for none.

    Said in contract ids (a project has few contracts), not in a join: the planner then walks the project's
    assignments in order.
    """
    if caller.roles & READERS:
        return true()
    if _for_general_contractor(caller, project):
        # R21: its own (tier 0) and tier 1 always; tier 2 once the specialty subcontractor above it has accepted
        near = [c.id for c in chain if c.tier <= 1]
        below = [c.id for c in chain if c.tier == 2]
        return or_(Assignment.contract_id.in_(near),
                   and_(Assignment.contract_id.in_(below), Assignment.status.in_(ENTERED)))
    if caller.enterprise_id is None or not _acts_as_enterprise(caller, project):
        return false()
    mine = Assignment.employer_id == caller.enterprise_id
    own = {c.id for c in chain if c.tier == 1 and c.kind == "specialty" and c.contractor_id == caller.enterprise_id}
    if own:  # a specialty subcontractor: its chain
        return or_(mine, Assignment.contract_id.in_(sorted(own | {c.id for c in chain if c.parent_id in own})))
    return mine


def sees_project(caller: Caller, project: Project, chain: Sequence[Contract]) -> bool:
    """Whether the project exists for this caller at all: it takes part in its chain, or reads all."""
    if caller.roles & READERS or _for_general_contractor(caller, project):
        return True
    if caller.enterprise_id is None or not _acts_as_enterprise(caller, project):
        return False
    return any(caller.enterprise_id in (c.contractor_id, c.awarded_by) for c in chain)


def _acts_as_enterprise(caller: Caller, project: Project) -> bool:
    """The enterprise's own login, or its staff holding the workforce view on this project (R32)."""
    return caller.kind == "enterprise" or caller.holds(project.id, VIEW_WORKFORCE)


def _for_general_contractor(caller: Caller, project: Project) -> bool:
    if not caller.acts_for(project.general_contractor_id):
        return False
    return _acts_as_enterprise(caller, project)
