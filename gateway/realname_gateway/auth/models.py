"""The gateway's own tables: accounts, certificates, one-time challenges, refresh tokens, delegations, and the
counts of failed logins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from realname_kit.bus.outbox import Outbox
from realname_kit.bus.tables import messaging_tables
from realname_kit.timeutil import utcnow
from realname_kit.types import UtcDateTime


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


outbox, inbox = messaging_tables(Base.metadata)
OUTBOX = Outbox(outbox, "gateway")


class Enterprise(Base):
    """An enterprise that logs in: learned from the registry at its first certificate login."""

    __tablename__ = "enterprises"

    enterprise_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))


class Certificate(Base):
    """One operator's certificate of an enterprise (R31: several per enterprise); each login names it."""

    __tablename__ = "certificates"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"))
    operator: Mapped[str] = mapped_column(String(200))
    serial: Mapped[str] = mapped_column(String(64))
    not_after: Mapped[datetime] = mapped_column(UtcDateTime())
    # The certificate with its chain as last presented: a refresh checks it again against the CRLs (R31).
    pem: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # when its revocation ended its sessions
    first_login_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Account(Base):
    """A person who logs in with a password: enterprise staff, regulators, administrators."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # A user name is unique within its tenant only (an enterprise's staff; the platform's regulators and
    # administrators), so that creating one tells nothing of other tenants' names.
    username: Mapped[str] = mapped_column(String(100))
    # What logs in: ``username@credit-code`` for staff, the user name alone for regulators and administrators.
    login: Mapped[str] = mapped_column(String(120), unique=True)
    # The user name alone logs in too: regulators, administrators, and staff made before names were per tenant.
    bare_login: Mapped[str | None] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # staff, regulator, admin
    enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprises.enterprise_id"))
    display_name: Mapped[str] = mapped_column(String(100))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Raised when rights are taken back (disabled, a delegation revoked): older access tokens are refused (R32).
    grant_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))


class Challenge(Base):
    """A one-time nonce for a certificate login: expires in two minutes, used once."""

    __tablename__ = "challenges"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RefreshToken(Base):
    """A refresh token, stored as its hash; rotated on use, revoked at logout."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_family", "family"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family: Mapped[str] = mapped_column(String(36))  # one login session; reuse of a rotated token ends it
    subject: Mapped[str] = mapped_column(String(100))
    principal: Mapped[str] = mapped_column(String(20))  # certificate or account
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ProjectManager(Base):
    """The staff account that holds a project's functions for its enterprise (R32)."""

    __tablename__ = "project_managers"

    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    appointed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Delegation(Base):
    """Functions of one project a project manager handed to one staff account (R32)."""

    __tablename__ = "delegations"
    __table_args__ = (Index("ix_delegations_project_account", "project_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    function: Mapped[str] = mapped_column(String(40))
    granted_by: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LoginFailures(Base):
    """Failed password logins of one login name (an account's id, or a hash of a name no account has) from one
    client address, or from every address not yet known for it (``source`` = ``ACCOUNT_WIDE``): kept in the
    database so that every gateway process counts the same failures."""

    __tablename__ = "login_failures"

    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
