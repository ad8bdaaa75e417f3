"""The identity service as the platform sees it."""

from pathlib import Path

from realname_identity.api import card_reads
from realname_identity.api_readers import readers
from realname_identity.figures import PENDING_READS
from realname_identity.handlers import identity_handlers
from realname_identity.models import Base
from realname_kit.service import ProtectedTable, ServiceSpec

SPEC = ServiceSpec(
    name="identity",
    title="realname identity",
    description="Card reads, ID verification against the identity authority, ID photos.",
    metadata=Base.metadata,
    blueprints=[card_reads, readers],
    migrations=Path(__file__).parent / "migrations",
    configured_handlers=identity_handlers,
    protected=[ProtectedTable("card_reads", ("id_number",), "identity.card_reads"),
               ProtectedTable("card_photos", ("photo",), "identity.card_photos")],
    gauges=[PENDING_READS],
)
