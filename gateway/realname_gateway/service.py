"""The gateway's own database as the platform sees it: migrated and relayed like a service's."""

from pathlib import Path

from realname_gateway.auth.models import Base
from realname_gateway.certs.revocations import watch_revocation_lists
from realname_kit.pruning import Retention
from realname_kit.service import ProtectedTable, ServiceSpec

EXPIRED_LOGINS = "REALNAME_RETAIN_EXPIRED_LOGINS_HOURS"

SPEC = ServiceSpec(
    name="gateway",
    title="realname gateway",
    description="Login, tokens, accounts, delegation.",
    metadata=Base.metadata,
    blueprints=[],
    migrations=Path(__file__).parent / "migrations",
    protected=[ProtectedTable("accounts", ("phone",), "gateway.accounts")],
    # Anyone can ask for a challenge, and every refresh makes a token: once expired, neither opens anything
    # (an expired refresh token is refused before any reuse check), so they go a day later.
    retentions=[Retention("challenges", "expires_at", EXPIRED_LOGINS),
                Retention("refresh_tokens", "expires_at", EXPIRED_LOGINS)],
    chores=[watch_revocation_lists],  # a revoked certificate's sessions end within seconds (R31)
)
