"""The reporting service as the platform sees it."""

from pathlib import Path

from realname_kit.audit import AUDIT_EVENT
from realname_kit.bus.topology import EVERY_PUBLISHER, Binding, QueueSpec
from realname_kit.denials import DENIAL_HANDLERS, denial_queue
from realname_kit.service import ServiceSpec
from realname_reporting.api import audit, directory
from realname_reporting.audit_log import store_audit_entries
from realname_reporting.directory import record_enterprise
from realname_reporting.models import Base

SPEC = ServiceSpec(
    name="reporting",
    title="realname reporting",
    description="Read models built from events, Excel exports, wage ledger, reconciliation, arrears warnings.",
    metadata=Base.metadata,
    blueprints=[directory, audit],
    migrations=Path(__file__).parent / "migrations",
    handlers={"enterprise.registered": record_enterprise, AUDIT_EVENT: store_audit_entries, **DENIAL_HANDLERS},
    queues=[
        QueueSpec("reporting", "enterprises", (Binding("registry", "enterprise.registered"),)),
        # The audit log (realname_kit.audit): every publisher records its audited acts as audit.recorded.
        QueueSpec("reporting", "audit", (Binding(EVERY_PUBLISHER, AUDIT_EVENT),)),
        denial_queue("reporting"),  # tokens refused before they expire (R31, R32)
    ],
    publishers=[],  # read models only: it records no events
)
