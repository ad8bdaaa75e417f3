"""Logging in (certificate, password), refreshing and logging out."""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from realname_gateway.auth import login_failures
from realname_gateway.auth.context import AuthContext
from realname_gateway.auth.grants import account_grant, certificate_grant
from realname_gateway.auth.models import OUTBOX, Account, Certificate, Challenge, Enterprise, RefreshToken
from realname_gateway.auth.passwords import verify_password
from realname_gateway.auth.registry_client import find_enterprise, register_enterprise
from realname_gateway.auth.sessions import end_certificate, end_session
from realname_gateway.auth.tokens import Grant, new_refresh_token, refresh_token_hash
from realname_gateway.certs.verify import (
    CertificateIdentity,
    CertificateRejected,
    challenge_message,
    verify_login,
    verify_standing,
)
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow

CHALLENGE_SECONDS = 120
LOGIN_FAILED = ("The name or the password is wrong, or logins from here are paused for a while. Staff log in "
                "as name@credit-code of their enterprise.")
LOGIN_FAILED_ZH = ("用户名或密码不对，或从此处登录暂时被暂停：请核对后重试，或稍候再试。"
                   "单位员工请用“用户名@统一社会信用代码”登录。")


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    grant: Grant


def issue_challenge(ctx: AuthContext) -> Challenge:
    challenge = Challenge(nonce=secrets.token_hex(32), expires_at=utcnow() + timedelta(seconds=CHALLENGE_SECONDS))
    with ctx.db.transaction() as session:
        session.add(challenge)
    return challenge


def certificate_login(ctx: AuthContext, certificate_pem: str, nonce: str, signature: str, *, kind: str | None,
                      client: str | None) -> Tokens:
    """R31: the enterprise's certificate signs our nonce; its first login registers the enterprise."""
    _consume_challenge(ctx, nonce)
    try:
        identity = verify_login(certificate_pem.encode(), challenge_message(nonce), _b64(signature),
                                ctx.trust(), now=utcnow())
    except CertificateRejected as rejected:
        _audit_failure(ctx, "auth.login.certificate", None, client, reason=rejected.reason)
        raise Problem(401, rejected.reason, "The certificate login was refused", rejected.message,
                      message_zh=rejected.message_zh) from None
    enterprise = _enterprise_for(ctx, identity, kind)
    with ctx.db.transaction() as session:
        certificate = _record_certificate(session, identity, enterprise.enterprise_id, certificate_pem)
        grant = certificate_grant(session, certificate)
        tokens = _issue(ctx, session, grant, principal="certificate")
        record_audit(session, OUTBOX, action="auth.login.certificate", actor=_as_caller(grant),
                     subject=enterprise.enterprise_id, client_address=client,
                     details={"operator": identity.operator, "fingerprint": identity.fingerprint})
    return tokens


def password_login(ctx: AuthContext, login: str, password: str, client: str | None) -> Tokens:
    """Staff log in as ``name@credit-code``, regulators and administrators by their name. Wrong passwords lock
    out the address they came from, and only slow down other addresses the account has not logged in from
    (``lockout``): nobody can keep the owner out."""
    with ctx.db.transaction() as session:
        found = find_account(session, login)
        account_id, password_hash = (found.id, found.password_hash) if found else (None, None)
    # Always verified, and before any row is locked: an unknown name costs the time of a wrong password.
    correct = verify_password(password_hash, password)
    now = utcnow()
    with ctx.db.transaction() as session:
        account = session.get(Account, account_id) if account_id else None
        attempt = login_failures.begin(session, login_failures.login_key(account_id, login), client or "unknown",
                                       now)
        refused_until = login_failures.refused_until(attempt, now)
        if refused_until is None and correct and account is not None and not account.disabled:
            login_failures.succeeded(attempt, now)
            grant = account_grant(session, account)
            tokens = _issue(ctx, session, grant, principal="account")
            record_audit(session, OUTBOX, action="auth.login.password", actor=_as_caller(grant),
                         subject=account.id, client_address=client)
            return tokens
        locks = [] if refused_until is not None or correct else login_failures.failed(attempt, now)
        _audit_password_failure(session, account, login, client, locks)
    until = max((lock.until for lock in locks), default=refused_until)  # a lock is imposed only when none held
    retry = {"retry_after": max(1, ceil((until - now).total_seconds()))} if until else {}
    raise Problem(401, "login_failed", "Login failed", LOGIN_FAILED, message_zh=LOGIN_FAILED_ZH, **retry)


def find_account(session: Session, login: str) -> Account | None:
    """The account ``login`` names: its full login (``name@credit-code`` for staff), else its name alone where
    that still logs in (regulators, administrators, staff made before user names were per enterprise)."""
    login = login.strip()
    name, at, code = login.rpartition("@")
    full = f"{name}@{code.upper()}" if at and len(code) == 18 else login  # a credit code's case does not matter
    return session.scalars(select(Account).where(Account.login == full)).first() or \
        session.scalars(select(Account).where(Account.bare_login == login)).first()


def _audit_password_failure(session: Session, account: Account | None, login: str, client: str | None,
                            locks: list[login_failures.Lock]) -> None:
    subject = account.id if account else None
    record_audit(session, OUTBOX, action="auth.login.password", actor=None, outcome="failure", subject=subject,
                 client_address=client, details={"username": login[:100]})
    for lock in locks:
        record_audit(session, OUTBOX, action="auth.login.locked", actor=None, outcome="failure", subject=subject,
                     client_address=client, details={"username": login[:100], "scope": lock.scope,
                                                     "failures": lock.failures, "until": lock.until.isoformat()})


def refresh(ctx: AuthContext, refresh_token: str) -> Tokens:
    now = utcnow()
    with ctx.db.transaction() as session:
        row = session.get(RefreshToken, refresh_token_hash(refresh_token))
        problem = _refresh_problem(ctx, session, row, now)
        if problem is None and row is not None:
            row.used_at = now
            grant, problem = _current_grant(ctx, session, row, now)
            if grant is not None:
                return _issue(ctx, session, grant, principal=row.principal, family=row.family)
    assert problem is not None
    raise problem  # after the commit: the session's end stands


def logout(ctx: AuthContext, refresh_token: str) -> None:
    """The session ends: its refresh tokens, and its access tokens everywhere within seconds."""
    with ctx.db.transaction() as session:
        row = session.get(RefreshToken, refresh_token_hash(refresh_token))
        if row is not None:
            end_session(session, row.family, token_seconds=ctx.settings.access_token_seconds, now=utcnow())


def _refresh_problem(ctx: AuthContext, session: Session, row: RefreshToken | None, now: datetime) -> Problem | None:
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return Problem(401, "refresh_token_invalid", "This refresh token is not valid", "Log in again.",
                       message_zh="登录凭证无效：请重新登录。")
    if row.used_at is not None:  # a rotated token came back: someone else may hold it, end the session
        end_session(session, row.family, token_seconds=ctx.settings.access_token_seconds, now=now)
        return Problem(401, "refresh_token_reused", "This refresh token was already used", "Log in again.",
                       message_zh="该刷新凭证已用过，本次登录已结束：请重新登录。")
    return None


def _current_grant(ctx: AuthContext, session: Session, row: RefreshToken,
                   now: datetime) -> tuple[Grant | None, Problem | None]:
    """What the session may do now; or why it ends (a revoked certificate ends every session it has, R31)."""
    seconds = ctx.settings.access_token_seconds
    if row.principal == "certificate":
        certificate = session.get(Certificate, row.subject)
        refusal = _certificate_refusal(ctx, certificate, now)
        if refusal is None and certificate is not None:
            return certificate_grant(session, certificate), None
        if certificate is not None and refusal is not None and refusal.reason == "certificate_revoked":
            end_certificate(session, certificate, token_seconds=seconds, now=now)
        else:
            end_session(session, row.family, token_seconds=seconds, now=now)
        return None, refusal
    account = session.get(Account, row.subject)
    if account is None or account.disabled:
        end_session(session, row.family, token_seconds=seconds, now=now)
        return None, Problem(401, "account_disabled", "This account may no longer log in",
                             message_zh="该账号已停用，不能登录：请联系本单位管理员。")
    return account_grant(session, account), None


def _certificate_refusal(ctx: AuthContext, certificate: Certificate | None, now: datetime) -> Problem | None:
    """Why the certificate of a session no longer holds: revoked (the CRL, R31), expired, no longer trusted."""
    if certificate is None or certificate.pem is None:  # a session from before certificates were kept
        return Problem(401, "certificate_login_required", "Log in with the certificate again",
                       "This session began before certificates were checked at each refresh.",
                       message_zh="请用单位数字证书重新登录。")
    try:
        if certificate.revoked_at is not None:
            raise CertificateRejected("certificate_revoked",
                                      f"the certificate was found revoked on {certificate.revoked_at.isoformat()}")
        verify_standing(certificate.pem.encode(), ctx.trust(), now=now)
    except CertificateRejected as rejected:
        return Problem(401, rejected.reason, "The certificate may no longer log in", rejected.message,
                       message_zh=rejected.message_zh)
    return None


def _issue(ctx: AuthContext, session: Session, grant: Grant, *, principal: str, family: str | None = None) -> Tokens:
    token, token_hash = new_refresh_token()
    seconds = ctx.settings.refresh_token_seconds
    family = family or str(uuid.uuid4())  # the session: its end refuses its access tokens too
    session.add(RefreshToken(token_hash=token_hash, family=family, subject=grant.subject,
                             principal=principal, expires_at=utcnow() + timedelta(seconds=seconds)))
    return Tokens(ctx.issuer.issue(grant, session=family), token, ctx.settings.access_token_seconds, seconds, grant)


def _consume_challenge(ctx: AuthContext, nonce: str) -> None:
    now = utcnow()
    with ctx.db.transaction() as session:
        result: Any = session.execute(update(Challenge).where(
            Challenge.nonce == nonce, Challenge.used_at.is_(None), Challenge.expires_at > now,
        ).values(used_at=now))
        used = result.rowcount
    if used != 1:  # the UPDATE is the single use: a second login with the same nonce finds it used
        raise Problem(401, "challenge_invalid", "The challenge is unknown, used or expired",
                      "Ask for a new challenge and sign it within two minutes.",
                      message_zh="登录挑战码（nonce）不存在、已用过或已过期：请重新获取，并在两分钟内签名提交。")


def _enterprise_for(ctx: AuthContext, identity: CertificateIdentity, kind: str | None) -> Enterprise:
    with ctx.db.transaction() as session:
        known = session.scalars(select(Enterprise).where(Enterprise.uscc == identity.uscc)).first()
    if known is not None:
        return known
    found = find_enterprise(ctx, identity.uscc)
    if found is None:
        if kind is None:
            raise Problem(422, "enterprise_kind_required", "First login of this enterprise: say what it is",
                          "Send kind: labour, specialty or general_contractor. It is chosen once.",
                          uscc=identity.uscc, name=identity.enterprise_name,
                          message_zh="该单位首次登录：请选择单位类型——劳务（labour）、专业分包（specialty）"
                                     "或总承包（general_contractor），只需选择一次。")
        found = register_enterprise(ctx, identity.uscc, identity.enterprise_name, kind)
    with ctx.db.transaction() as session:
        enterprise = session.get(Enterprise, found["id"])
        if enterprise is None:
            enterprise = Enterprise(enterprise_id=found["id"], uscc=found["uscc"], name=found["name"],
                                    kind=found["kind"])
            session.add(enterprise)
        return enterprise


def _record_certificate(session: Session, identity: CertificateIdentity, enterprise_id: str,
                        pem: str) -> Certificate:
    certificate = session.scalars(select(Certificate).where(Certificate.fingerprint == identity.fingerprint)).first()
    if certificate is None:
        certificate = Certificate(fingerprint=identity.fingerprint, enterprise_id=enterprise_id,
                                  operator=identity.operator, serial=str(identity.serial),
                                  not_after=identity.not_after)
        session.add(certificate)
        session.flush()
    certificate.last_login_at = utcnow()
    certificate.pem, certificate.revoked_at = pem, None  # checked in full just now: refreshes check it again
    return certificate


def _audit_failure(ctx: AuthContext, action: str, subject: str | None, client: str | None, reason: str) -> None:
    with ctx.db.transaction() as session:
        record_audit(session, OUTBOX, action=action, actor=None, outcome="failure", subject=subject,
                     reason=reason, client_address=client)


def _as_caller(grant: Grant) -> Caller:
    return Caller(subject=grant.subject, enterprise_id=grant.enterprise_id, roles=grant.roles, kind=grant.kind)


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Problem(422, "signature_malformed", "The signature is not base64", field="signature",
                      message_zh="签名不是 base64 格式：请按原样提交签名。") from exc
