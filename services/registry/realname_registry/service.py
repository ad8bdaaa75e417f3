"""The registry service as the platform sees it."""

from pathlib import Path

from realname_kit.bus.topology import Binding, QueueSpec
from realname_kit.denials import DENIAL_HANDLERS, denial_queue
from realname_kit.service import ProtectedTable, ServiceSpec
from realname_registry.api import enterprises
from realname_registry.api_imports import imports
from realname_registry.api_teams import teams
from realname_registry.api_workers import workers
from realname_registry.card_reads import identity_handlers
from realname_registry.imports.runner import import_handlers
from realname_registry.models import Base
from realname_registry.participation import participation_handlers
from realname_registry.projects import learn_project

SPEC = ServiceSpec(
    name="registry",
    title="realname registry",
    description="Enterprises, workers, labour contracts, teams, resignations, search, Excel import.",
    metadata=Base.metadata,
    blueprints=[enterprises, workers, teams, imports],
    migrations=Path(__file__).parent / "migrations",
    handlers={"project.registered": learn_project, **participation_handlers, **DENIAL_HANDLERS},
    configured_handlers=lambda settings: {**identity_handlers(settings), **import_handlers(settings)},
    protected=[ProtectedTable("workers", ("id_number", "phone"), "registry.workers"),
               ProtectedTable("employments", ("wage_card_number",), "registry.employments"),
               ProtectedTable("card_reads", ("id_number",), "registry.card_reads"),
               ProtectedTable("evidence_files", ("content",), "registry.evidence_files")],
    queues=[
        # Projects and who takes part in them: teams and imports only on a project the employer is in (R16, R21).
        QueueSpec("registry", "projects", (Binding("assignment", "project.registered"),
                                           Binding("assignment", "contract.awarded"),
                                           Binding("assignment", "contract.completed"),
                                           Binding("assignment", "project.completed"))),
        # Card reads fill registrations in, pending ones too; registrations wait for their verification (R1, R3).
        QueueSpec("registry", "identity",
                  (Binding("identity", "identity.read_pending"), Binding("identity", "identity.verified"),
                   Binding("identity", "identity.rejected"))),
        # Large Excel imports run as jobs, one message each, picked up by the registry's own consumer (R10).
        QueueSpec("registry", "imports", (Binding("registry", "import.requested"),)),
        denial_queue("registry"),  # tokens refused before they expire (R31, R32)
    ],
)
