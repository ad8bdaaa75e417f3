"""The assignment service as the platform sees it."""

from pathlib import Path

from realname_assignment.api import parties, projects
from realname_assignment.models import Base
from realname_assignment.parties import learn_enterprise
from realname_kit.service import ServiceSpec

SPEC = ServiceSpec(
    name="assignment",
    title="realname assignment",
    description="Projects, the contract chain, assignments, entry confirmation, exits, visibility.",
    metadata=Base.metadata,
    blueprints=[parties, projects],
    migrations=Path(__file__).parent / "migrations",
    handlers={"enterprise.registered": learn_enterprise},
)
