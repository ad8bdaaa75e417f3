"""The registry service as the platform sees it."""

from pathlib import Path

from realname_kit.service import ServiceSpec
from realname_registry.api import enterprises
from realname_registry.models import Base

SPEC = ServiceSpec(
    name="registry",
    title="realname registry",
    description="Enterprises, workers, labour contracts, teams, resignations, search, Excel import.",
    metadata=Base.metadata,
    blueprints=[enterprises],
    migrations=Path(__file__).parent / "migrations",
)
