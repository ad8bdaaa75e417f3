"""The assignment service as the platform sees it."""

from pathlib import Path

from realname_kit.service import ServiceSpec
from realname_assignment.api import parties
from realname_assignment.models import Base
from realname_assignment.parties import learn_enterprise

SPEC = ServiceSpec(
    name="assignment",
    title="realname assignment",
    description="Projects, the contract chain, assignments, entry confirmation, exits, visibility.",
    metadata=Base.metadata,
    blueprints=[parties],
    migrations=Path(__file__).parent / "migrations",
    handlers={"enterprise.registered": learn_enterprise},
)
