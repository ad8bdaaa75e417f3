"""The identity service as the platform sees it."""

from pathlib import Path

from realname_identity.models import Base
from realname_kit.service import ServiceSpec

SPEC = ServiceSpec(
    name="identity",
    title="realname identity",
    description="Card reads, ID verification against the identity authority, ID photos.",
    metadata=Base.metadata,
    blueprints=[],
    migrations=Path(__file__).parent / "migrations",
)
