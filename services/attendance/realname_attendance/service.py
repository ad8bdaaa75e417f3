"""The attendance service as the platform sees it."""

from pathlib import Path

from realname_attendance.api.gate_sync import gate_sync
from realname_attendance.api_faces import faces
from realname_attendance.dispatch import dispatch_commands
from realname_attendance.faces.retention import retire_faces
from realname_attendance.handlers import GATES, HANDLERS, WHITELIST_QUEUES
from realname_attendance.models import Base
from realname_attendance.reconcile_chore import reconcile_gates
from realname_attendance.settings import SETTINGS
from realname_attendance.workers import worker_handlers
from realname_kit.bus.topology import Binding, QueueSpec
from realname_kit.service import ProtectedTable, ServiceSpec

SPEC = ServiceSpec(
    name="attendance",
    title="realname attendance",
    description="Devices, gate whitelists, punches, the attendance ledger.",
    metadata=Base.metadata,
    blueprints=[faces, gate_sync],
    migrations=Path(__file__).parent / "migrations",
    handlers={**worker_handlers, **HANDLERS},
    # Face photos are sealed like personal numbers: a key rotation re-seals them (models.FACE_PHOTO_CONTEXT).
    protected=[ProtectedTable("faces", ("photo",), "attendance.faces")],
    queues=[
        # The workers the gates know: name, employer, contract end, death (faces part).
        QueueSpec("attendance", "workers", (Binding("registry", "worker.registered"),
                                            Binding("registry", "worker.updated"),
                                            Binding("registry", "employment.ended"),
                                            Binding("registry", "worker.died"))),
        *WHITELIST_QUEUES,
    ],
    # "gates": native gates and site bridges, each publishing with its own broker account.
    publishers=["attendance", GATES],
    settings=[*SETTINGS],
    # Faces past their retention deleted (PIPL art. 19, 47); the gates' whitelist driven beside the relay
    # (distributed mode; all-in-one has no broker to reach the gates).
    chores=[retire_faces, dispatch_commands, reconcile_gates],
)
