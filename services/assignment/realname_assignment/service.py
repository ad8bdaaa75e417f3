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
from realname_kit.bus.topology import Binding, QueueSpec
from realname_kit.denials import DENIAL_HANDLERS, denial_queue
from realname_kit.service import ServiceSpec

SPEC = ServiceSpec(
    name="assignment",
    title="realname assignment",
    description="Projects, the contract chain, assignments, entry confirmation, exits, visibility.",
    metadata=Base.metadata,
    blueprints=[parties, projects, contracts, assignments, workforce_blp],
    migrations=Path(__file__).parent / "migrations",
    handlers={"enterprise.registered": learn_enterprise, **worker_handlers, **exit_handlers,
              **DENIAL_HANDLERS},
    queues=[
        QueueSpec("assignment", "enterprises", (Binding("registry", "enterprise.registered"),)),
        # Whom an employer may assign, and who exits when their employment ends (R18, R24).
        QueueSpec("assignment", "workers", (Binding("registry", "worker.registered"),
                                            Binding("registry", "worker.updated"),
                                            Binding("registry", "employment.ended"),
                                            Binding("registry", "worker.died"),
                                            Binding("registry", "team.formed"))),
        # A completed subcontract or project exits everyone under it (R24): the service's own events, so that the
        # completion answers at once and the exits follow in batches.
        QueueSpec("assignment", "completions", (Binding("assignment", "contract.completed"),
                                                Binding("assignment", "project.completed"))),
        denial_queue("assignment"),  # tokens refused before they expire (R31, R32)
    ],
)
