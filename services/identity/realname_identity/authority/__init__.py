"""The identity authority (the city's big-data centre) that confirms ID cards: its verdicts and its adapter."""

from realname_identity.authority.client import (
    IDEMPOTENCY_HEADER,
    HttpIdentityAuthority,
    IdentityAuthority,
    VerificationRequest,
)
from realname_identity.authority.verdicts import (
    AuthorityClosed,
    AuthorityError,
    AuthorityRefused,
    AuthorityUnavailable,
    Explanation,
    UnavailableReason,
    Verdict,
    explain,
)

__all__ = ["IDEMPOTENCY_HEADER", "AuthorityClosed", "AuthorityError", "AuthorityRefused",
           "AuthorityUnavailable", "Explanation",
           "HttpIdentityAuthority", "IdentityAuthority", "UnavailableReason", "Verdict", "VerificationRequest",
           "explain"]
