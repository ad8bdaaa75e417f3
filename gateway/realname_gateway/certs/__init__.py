"""Enterprise certificate login (R31): verify a signed nonce and a certificate chain; a development CA."""

from realname_gateway.certs.verify import (
    REASONS,
    CertificateIdentity,
    CertificateRejected,
    Trust,
    load_trust,
    verify_login,
)

__all__ = ["REASONS", "CertificateIdentity", "CertificateRejected", "Trust", "load_trust", "verify_login"]
