"""Sessions that end, and rights taken back, everywhere within seconds (R31, R32).

A session is one login: a family of refresh tokens, each used once. Its access tokens carry the session's id
(``sid``) and the version of the rights they grant (``gv``). Ending a session revokes its refresh tokens and
denies its access tokens; taking an account's rights back raises its grant version and denies the tokens of
lower versions (a refresh then gives a token with what is left). Each denial is written to the gateway's own
deny-list, which it checks before proxying, and in the same transaction to its outbox, from which every service
learns it (``realname_kit.denials``): a token is refused everywhere within seconds, not when it expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from realname_gateway.auth.models import OUTBOX, Account, Certificate, RefreshToken
from realname_kit.denials import SESSION, SUBJECT, Denial, deny

# Services verify expiry on their own clocks: a denial outlives the last token it refuses by this much.
CLOCK_MARGIN = timedelta(seconds=60)


def end_session(session: Session, family: str, *, token_seconds: int, now: datetime) -> None:
    """A logout, or a used refresh token coming back (someone else may hold the session)."""
    _revoke_refresh_tokens(session, RefreshToken.family == family, now)
    deny(session, OUTBOX, Denial(SESSION, family, _until(now, token_seconds)))


def take_rights_back(session: Session, account: Account, *, token_seconds: int, now: datetime) -> None:
    """A delegation revoked or a manager replaced (R32): the account's tokens granting more stop at once."""
    session.flush()  # what this transaction changed on it stays, and the row is locked while the version goes up
    session.refresh(account, with_for_update=True)
    account.grant_version = (account.grant_version or 0) + 1
    deny(session, OUTBOX, Denial(SUBJECT, account.id, _until(now, token_seconds), below_version=account.grant_version))


def disable_account(session: Session, account: Account, *, token_seconds: int, now: datetime) -> None:
    """Every session of the account ends, and its tokens are refused (enabled again, it logs in anew)."""
    account.disabled = True
    _revoke_refresh_tokens(session, RefreshToken.subject == account.id, now)
    take_rights_back(session, account, token_seconds=token_seconds, now=now)


def end_certificate(session: Session, certificate: Certificate, *, token_seconds: int, now: datetime) -> None:
    """A revoked certificate (R31): its sessions end, and no token it was given is accepted any more."""
    if certificate.revoked_at is None:
        certificate.revoked_at = now
    _revoke_refresh_tokens(session, RefreshToken.subject == certificate.id, now)
    deny(session, OUTBOX, Denial(SUBJECT, certificate.id, _until(now, token_seconds)))


def certificates_listed(session: Session, serials: set[str]) -> list[Certificate]:
    """The certificates not yet ended whose serial number a revocation list names (locked: one watcher ends them)."""
    found: list[Certificate] = []
    ordered = sorted(serials)
    for start in range(0, len(ordered), 500):
        found += session.scalars(select(Certificate).where(
            Certificate.serial.in_(ordered[start:start + 500]), Certificate.revoked_at.is_(None))
            .with_for_update(skip_locked=True))
    return found


def _revoke_refresh_tokens(session: Session, which: object, now: datetime) -> None:
    session.execute(update(RefreshToken).where(which, RefreshToken.revoked_at.is_(None))  # type: ignore[arg-type]
                    .values(revoked_at=now))


def _until(now: datetime, token_seconds: int) -> datetime:
    return now + timedelta(seconds=token_seconds) + CLOCK_MARGIN
