"""The gateway's own database as the platform sees it: migrated and relayed like a service's."""

from pathlib import Path

from realname_gateway.auth.models import Base
from realname_kit.service import ProtectedTable, ServiceSpec

SPEC = ServiceSpec(
    name="gateway",
    title="realname gateway",
    description="Login, tokens, accounts, delegation.",
    metadata=Base.metadata,
    blueprints=[],
    migrations=Path(__file__).parent / "migrations",
    protected=[ProtectedTable("accounts", ("phone",), "gateway.accounts")],
)
