"""The attendance service as the platform sees it."""

from pathlib import Path

from realname_attendance.api.gate_sync import gate_sync
from realname_attendance.dispatch import dispatch_commands
from realname_attendance.handlers import GATES, HANDLERS, WHITELIST_QUEUES
from realname_attendance.models import Base
from realname_attendance.reconcile_chore import reconcile_gates
from realname_attendance.settings import SETTINGS
from realname_kit.service import ServiceSpec

SPEC = ServiceSpec(
    name="attendance",
    title="realname attendance",
    description="Devices, gate whitelists, punches, the attendance ledger.",
    metadata=Base.metadata,
    blueprints=[gate_sync],
    migrations=Path(__file__).parent / "migrations",
    handlers=HANDLERS,
    queues=[*WHITELIST_QUEUES],
    # "gates": native gates and site bridges, each publishing with its own broker account.
    publishers=["attendance", GATES],
    settings=SETTINGS,
    # The gates' whitelist driven beside the relay (distributed mode; all-in-one has no broker to reach them).
    chores=[dispatch_commands, reconcile_gates],
)
