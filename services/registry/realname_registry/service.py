"""The registry service as the platform sees it."""

from pathlib import Path

from realname_kit.service import ProtectedTable, ServiceSpec
from realname_registry.api import enterprises
from realname_registry.api_imports import imports
from realname_registry.api_teams import teams
from realname_registry.api_workers import workers
from realname_registry.card_reads import identity_handlers
from realname_registry.imports.runner import import_handlers
from realname_registry.models import Base
from realname_registry.projects import learn_project

SPEC = ServiceSpec(
    name="registry",
    title="realname registry",
    description="Enterprises, workers, labour contracts, teams, resignations, search, Excel import.",
    metadata=Base.metadata,
    blueprints=[enterprises, workers, teams, imports],
    migrations=Path(__file__).parent / "migrations",
    handlers={"project.registered": learn_project},
    configured_handlers=lambda settings: {**identity_handlers(settings), **import_handlers(settings)},
    protected=[ProtectedTable("workers", ("id_number", "phone"), "registry.workers"),
               ProtectedTable("employments", ("wage_card_number",), "registry.employments"),
               ProtectedTable("card_reads", ("id_number",), "registry.card_reads")],
)
