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

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from realname_assignment.models import Assignment, Contract, Project
from realname_kit.auth import Caller
from realname_kit.roles import ADMIN, REGULATOR, SERVICE, VIEW_WORKFORCE

READ_ALL = frozenset({REGULATOR, ADMIN, SERVICE})
ENTERED = ("accepted", "exited")  # an assignment its using enterprise has accepted (and perhaps since exited)


def workforce_filter(session: Session, caller: Caller, project: Project) -> ColumnElement[bool]:
    """The condition on this project's assignments that this caller may see; ``false()`` for none.

    Said in contract ids (a project has few contracts), not in a join: the planner then walks the project's
    assignments in order and reads the chain once.
    """
    if caller.roles & READ_ALL:
        return true()
    chain = list(session.execute(select(Contract.id, Contract.tier, Contract.parent_id, Contract.kind,
                                        Contract.contractor_id).where(Contract.project_id == project.id)))
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


def sees_project(session: Session, caller: Caller, project: Project) -> bool:
    """Whether the project exists for this caller at all: it takes part in its chain, or reads all."""
    if caller.roles & READ_ALL or _for_general_contractor(caller, project):
        return True
    if caller.enterprise_id is None or not _acts_as_enterprise(caller, project):
        return False
    party = caller.enterprise_id
    linked = select(Contract.id).where(Contract.project_id == project.id,
                                       or_(Contract.contractor_id == party, Contract.awarded_by == party)).limit(1)
    return session.scalars(linked).first() is not None


def _acts_as_enterprise(caller: Caller, project: Project) -> bool:
    """The enterprise's own login, or its staff holding the workforce view on this project (R32)."""
    return caller.kind == "enterprise" or caller.holds(project.id, VIEW_WORKFORCE)


def _for_general_contractor(caller: Caller, project: Project) -> bool:
    if not caller.acts_for(project.general_contractor_id):
        return False
    return _acts_as_enterprise(caller, project)
