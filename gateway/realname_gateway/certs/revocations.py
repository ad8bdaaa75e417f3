"""A new certificate revocation list ends the sessions of the certificates it revokes, within seconds (R31).

The CA publishes its CRL; the operator (or a job) puts it where ``REALNAME_CRL_FILE`` points. The gateway's
relay process (a thread in all-in-one mode) looks at the file every ``WATCH_SECONDS``; when it changed, every
certificate that logged in and is now revoked has its sessions ended: its refresh tokens, and its access tokens
everywhere (``realname_gateway.auth.sessions``). A refresh checks the certificate again in any case.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from realname_gateway.auth.models import Certificate
from realname_gateway.auth.sessions import certificates_listed, end_certificate
from realname_gateway.certs.verify import CertificateRejected, Trust, load_trust, revoked_serials, verify_standing
from realname_kit.db import Database
from realname_kit.logs import get_logger
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow

WATCH_SECONDS = 1.0
log = get_logger(__name__)


def end_revoked_certificates(db: Database, trust: Trust, *, token_seconds: int, now: datetime) -> int:
    """End the sessions of every certificate the CRLs revoke; how many certificates that was."""
    serials = revoked_serials(trust)
    if not serials:
        return 0
    with db.transaction() as session:
        revoked = [c for c in certificates_listed(session, serials) if _revoked(c, trust, now)]
        for certificate in revoked:
            end_certificate(session, certificate, token_seconds=token_seconds, now=now)
    return len(revoked)


def _revoked(certificate: Certificate, trust: Trust, now: datetime) -> bool:
    if certificate.pem is None:  # its serial is listed, and nothing kept tells its issuer: the safe side
        return True
    try:
        verify_standing(certificate.pem.encode(), trust, now=now)
    except CertificateRejected as rejected:
        return rejected.reason == "certificate_revoked"
    return False


def watch_revocation_lists(settings: Settings, db: Database, stop: threading.Event) -> None:
    """Until ``stop``: apply the CRL file each time it changes (and once at start)."""
    seen: tuple[tuple[int, int], ...] | None = None
    while True:
        try:
            stamp = _stamp(settings.crl_file, settings.ca_bundle_file)
            if stamp != seen and settings.crl_file.exists():
                trust = load_trust(settings.ca_bundle_file.read_bytes(), settings.crl_file.read_bytes())
                ended = end_revoked_certificates(db, trust, token_seconds=settings.access_token_seconds,
                                                 now=utcnow())
                log.info("revocation_list_applied", certificates_ended=ended)
            seen = stamp
        except Exception as exc:  # an unreadable file or the database away: the next round tries again
            log.warning("revocation_list_not_applied", error=repr(exc)[:300])
        if stop.wait(WATCH_SECONDS):
            return


def _stamp(*files: Path) -> tuple[tuple[int, int], ...]:
    stats = [f.stat() if f.exists() else None for f in files]
    return tuple((s.st_mtime_ns, s.st_size) if s else (0, 0) for s in stats)
