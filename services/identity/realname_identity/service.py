"""The identity service as the platform sees it."""

from pathlib import Path

from realname_identity.api import card_reads
from realname_identity.api_readers import readers
from realname_identity.figures import PENDING_READS
from realname_identity.handlers import identity_handlers
from realname_identity.models import Base
from realname_identity.settings import SETTINGS
from realname_kit.bus.topology import Binding, QueueSpec
from realname_kit.denials import DENIAL_HANDLERS, denial_queue
from realname_kit.service import ProtectedTable, ServiceSpec

SPEC = ServiceSpec(
    name="identity",
    title="realname identity",
    description="Card reads, ID verification against the identity authority, ID photos.",
    metadata=Base.metadata,
    blueprints=[card_reads, readers],
    migrations=Path(__file__).parent / "migrations",
    handlers=DENIAL_HANDLERS,
    configured_handlers=identity_handlers,
    protected=[ProtectedTable("card_reads", ("id_number",), "identity.card_reads"),
               ProtectedTable("card_photos", ("photo",), "identity.card_photos"),
               ProtectedTable("reader_accounts", ("seal_key",), "identity.reader_accounts")],  # SEAL_KEY_CONTEXT
    # Card reads from the edge-readers (R1), and their verification, retried later while the authority is
    # closed or failing (R3): 2 s for a blip, up to 30 minutes across a weekend; one probe at a time looks for
    # the authority's return before its announced reopening.
    queues=[QueueSpec("identity", "card-reads", (Binding("edge", "card.read"),)),
            QueueSpec("identity", "verifications", (Binding("identity", "identity.verification_due"),
                                                    Binding("identity", "identity.authority_probe_due")),
                      waits=(2, 10, 60, 300, 1800)),
            denial_queue("identity")],  # tokens refused before they expire (R31, R32)
    # "edge": the card readers at employers' offices, each publishing card.read with its own broker account.
    publishers=["identity", "edge"],
    settings=SETTINGS,
    gauges=[PENDING_READS],
)
