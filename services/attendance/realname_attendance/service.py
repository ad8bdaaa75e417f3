"""The attendance service as the platform sees it."""

from pathlib import Path

from realname_attendance.api_faces import faces
from realname_attendance.faces.retention import retire_faces
from realname_attendance.models import Base
from realname_attendance.settings import SETTINGS
from realname_attendance.workers import worker_handlers
from realname_kit.bus.topology import Binding, QueueSpec
from realname_kit.service import ProtectedTable, ServiceSpec

SPEC = ServiceSpec(
    name="attendance",
    title="realname attendance",
    description="Devices, gate whitelists, punches, the attendance ledger.",
    metadata=Base.metadata,
    blueprints=[faces],
    migrations=Path(__file__).parent / "migrations",
    handlers={**worker_handlers},
    # Face photos are sealed like personal numbers: a key rotation re-seals them (models.FACE_PHOTO_CONTEXT).
    protected=[ProtectedTable("faces", ("photo",), "attendance.faces")],
    queues=[
        # The workers the gates know: name, employer, contract end, death (faces part).
        QueueSpec("attendance", "workers", (Binding("registry", "worker.registered"),
                                            Binding("registry", "worker.updated"),
                                            Binding("registry", "employment.ended"),
                                            Binding("registry", "worker.died"))),
    ],
    settings=[*SETTINGS],
    chores=[retire_faces],  # faces past their retention deleted (PIPL art. 19, 47)
)
