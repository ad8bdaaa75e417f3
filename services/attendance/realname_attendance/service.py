"""The attendance service as the platform sees it."""

from pathlib import Path

from realname_attendance.models import Base
from realname_kit.service import ServiceSpec

SPEC = ServiceSpec(
    name="attendance",
    title="realname attendance",
    description="Devices, gate whitelists, punches, the attendance ledger.",
    metadata=Base.metadata,
    blueprints=[],
    migrations=Path(__file__).parent / "migrations",
    queues=[],  # the queues it consumes, with their bindings and wait tiers, once it consumes any
    settings=[],  # its own settings, documented, once it has any
)
