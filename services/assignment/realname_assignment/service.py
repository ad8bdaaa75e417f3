"""The assignment service as the platform sees it."""

from pathlib import Path

from realname_assignment.api import parties, projects
from realname_assignment.api_assignments import assignments
from realname_assignment.api_contracts import contracts
from realname_assignment.api_workforce import workforce_blp
from realname_assignment.exits import exit_handlers
from realname_assignment.models import Base
from realname_assignment.parties import learn_enterprise
from realname_assignment.workers import worker_handlers
from realname_kit.service import ServiceSpec

SPEC = ServiceSpec(
    name="assignment",
    title="realname assignment",
    description="Projects, the contract chain, assignments, entry confirmation, exits, visibility.",
    metadata=Base.metadata,
    blueprints=[parties, projects, contracts, assignments, workforce_blp],
    migrations=Path(__file__).parent / "migrations",
    handlers={"enterprise.registered": learn_enterprise, **worker_handlers, **exit_handlers},
)
