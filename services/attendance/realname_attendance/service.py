"""The attendance service as the platform sees it."""

from pathlib import Path

from realname_attendance.api.gate_sync import gate_sync
from realname_attendance.api.ledger import ledger
from realname_attendance.api_bridges import bridges
from realname_attendance.api_faces import faces
from realname_attendance.api_gates import gates
from realname_attendance.api_punches import punches
from realname_attendance.dispatch import dispatch_commands
from realname_attendance.faces.retention import retire_faces
from realname_attendance.handlers import GATES, HANDLERS, WHITELIST_QUEUES
from realname_attendance.health import health_handlers
from realname_attendance.ledger.chore import keep_ledger
from realname_attendance.models import Base
from realname_attendance.projects import project_handlers
from realname_attendance.punch_intake import punch_handlers
from realname_attendance.punch_photo_retention import retire_punch_photos
from realname_attendance.punch_upkeep import keep_punch_partitions, punch_retention_months
from realname_attendance.reconcile_chore import reconcile_gates
from realname_attendance.settings import SETTINGS
from realname_attendance.workers import worker_handlers
from realname_kit.bus.topology import Binding, QueueSpec
from realname_kit.denials import DENIAL_HANDLERS, denial_queue
from realname_kit.service import ProtectedTable, ServiceSpec

SPEC = ServiceSpec(
    name="attendance",
    title="realname attendance",
    description="Devices, gate whitelists, punches, the attendance ledger.",
    metadata=Base.metadata,
    blueprints=[faces, bridges, gates, gate_sync, ledger, punches],
    migrations=Path(__file__).parent / "migrations",
    handlers={**worker_handlers, **project_handlers, **health_handlers, **HANDLERS, **DENIAL_HANDLERS},
    configured_handlers=punch_handlers,  # punches and their photos (sealed with the data keyring)
    # Face photos are sealed like personal numbers: a key rotation re-seals them (models.FACE_PHOTO_CONTEXT).
    # So are punch photos, correction evidence, and the devices' HTTPS punch signing keys (punch_keys).
    protected=[ProtectedTable("faces", ("photo",), "attendance.faces"),
               ProtectedTable("ledger_corrections", ("evidence",), "attendance.ledger_corrections"),
               ProtectedTable("punch_photos", ("photo",), "attendance.punch_photos"),
               ProtectedTable("gates", ("punch_key",), "attendance.gates"),
               ProtectedTable("bridges", ("punch_key",), "attendance.bridges")],
    queues=[
        # The workers the gates know: name, employer, contract end, death (faces part).
        QueueSpec("attendance", "workers", (Binding("registry", "worker.registered"),
                                            Binding("registry", "worker.updated"),
                                            Binding("registry", "employment.ended"),
                                            Binding("registry", "worker.died"))),
        # Projects and who takes part in them: whose gates they are (R21, R23); a completed one's gates stop (R24).
        QueueSpec("attendance", "projects", (Binding("assignment", "project.registered"),
                                             Binding("assignment", "contract.awarded"),
                                             Binding("assignment", "contract.completed"),
                                             Binding("assignment", "project.completed"))),
        # Gates' and site bridges' health reports, each from its own broker account (R23).
        QueueSpec("attendance", "gate-reports", (Binding(GATES, "gate.reported"),)),
        # The whitelist: admissions, device and face changes, and the gates' acknowledgements (R23, R26).
        *WHITELIST_QUEUES,
        denial_queue("attendance"),  # tokens refused before they expire (R31, R32)
    ],
    # "gates": native gates and site bridges, each publishing gate.* with its own broker account.
    publishers=["attendance", GATES],
    settings=[*SETTINGS],
    check_settings=punch_retention_months,  # a retention shorter than the ledger's three years is refused
    # Faces and punch photos past their retention deleted (PIPL art. 19, 47); the gates' whitelist driven beside the
    # relay on the gate broker (REALNAME_GATE_AMQP_URL: in all-in-one mode the gate side alone uses RabbitMQ); the
    # attendance ledger kept (R28); punch partitions made ahead, old ones dropped.
    chores=[retire_faces, retire_punch_photos, dispatch_commands, reconcile_gates, keep_ledger, keep_punch_partitions],
)
