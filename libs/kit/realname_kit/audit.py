"""The platform-wide audit log: every service records its audited acts through its own outbox.

An audited act (a login, a reveal of a personal number, an entry decision, a resignation, an account or
delegation change) is written as an ``audit.recorded`` event in the **same transaction** as the act
itself, so there is no act without its record and no record of an act that was rolled back::

    with db.transaction() as session:
        ...  # the act
        record_audit(session, OUTBOX, action="privacy.reveal", actor=current_caller(),
                     subject=worker.id, field="id_number", reason=args["reason"])

The reporting service collects every service's records into one append-only ``audit_log`` that
regulators query and export.

What never goes into a record (PIPL; the audit log is read by many and kept for years):

- no passwords, password hashes, tokens, secrets, keys, nonces or signatures: ``details`` keys that
  name one (``password``, ``token``, ``secret`` …) are refused with ``ValueError``;
- no full personal numbers (resident ID, phone and bank card numbers): a reveal record names the
  *field* revealed, never its value. As a safety net, anything in ``subject``, ``reason`` and the
  string values of ``details`` that looks like a full ID, phone or card number is masked (R4) before
  it is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy.orm import Session

from realname_kit.auth import Caller
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.outbox import Outbox
from realname_kit.privacy.scrubbing import scrub_personal_numbers
from realname_kit.timeutil import utcnow

AUDIT_EVENT = "audit.recorded"

SUCCESS, FAILURE, DENIED = "success", "failure", "denied"
OUTCOMES = (SUCCESS, FAILURE, DENIED)  # denied: refused for lack of a right; failure: attempted and failed

# The actions in use (a new one is just a new dotted name; regulators filter by prefix, e.g. ``auth.``).
KNOWN_ACTIONS = (
    "auth.login.certificate", "auth.login.password", "privacy.reveal", "account.created", "account.disabled",
    "delegation.granted", "delegation.revoked", "entry.confirmed", "entry.rejected", "worker.resigned",
)

ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
MAX_ACTION, MAX_SUBJECT, MAX_FIELD, MAX_REASON, MAX_ADDRESS = 100, 200, 100, 2000, 64
MAX_ACTOR, MAX_ENTERPRISE, MAX_ROLE, MAX_ROLES, MAX_KIND = 200, 64, 50, 20, 30
MAX_DETAILS_CHARS = 16_000

# Keys in ``details`` that name a secret (compared with case and punctuation removed).
_SECRET_WORDS = ("password", "passwd", "secret", "token", "privatekey", "credential", "authorization",
                 "cookie", "nonce", "signature", "apikey")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3})([0-9Xx])(?![0-9A-Za-z])")
_CARD_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{6,9})(\d{4})(?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class InvalidAudit(ValueError):
    """Audit data that does not have the agreed shape."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """The ``data`` of an ``audit.recorded`` event, checked."""

    action: str
    outcome: str
    actor_subject: str | None
    actor_enterprise_id: str | None
    actor_roles: tuple[str, ...]
    actor_kind: str | None
    subject: str | None
    field: str | None
    reason: str | None
    details: dict[str, Any]
    client_address: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditedAct:
    """One of several acts of the same action and actor, recorded together by :func:`record_audits`."""

    subject: str | None = None
    reason: str | None = None
    details: Mapping[str, Any] | None = None
    field: str | None = None


def record_audit(session: Session, outbox: Outbox, *, action: str, actor: Caller | None,
                 subject: str | None = None, field: str | None = None, reason: str | None = None,
                 outcome: str = SUCCESS, details: Mapping[str, Any] | None = None,
                 client_address: str | None = None) -> Envelope:
    """Record one audited act in ``outbox``, inside the caller's transaction (``session``).

    ``actor`` is who acted (None for the platform itself, or an anonymous caller such as a failed
    login: put the name tried in ``subject``); ``subject`` is whom or what the act concerned (a
    worker id, an account id); ``field`` the personal field revealed; ``reason`` why, as the actor gave it.
    ``client_address``: by default the address of the client of the HTTP request being served, if any.
    Raises ``ValueError`` (``InvalidAudit``) for a malformed action or outcome, or a secret in ``details``.
    """
    act = AuditedAct(subject=subject, reason=reason, details=details, field=field)
    return record_audits(session, outbox, action=action, actor=actor, acts=[act], outcome=outcome,
                         client_address=client_address)[0]


def record_audits(session: Session, outbox: Outbox, *, action: str, actor: Caller | None,
                  acts: Sequence[AuditedAct], outcome: str = SUCCESS,
                  client_address: str | None = None) -> list[Envelope]:
    """Record several acts of one actor in one statement (a batch of up to thousands), as ``record_audit`` would."""
    if client_address is None and has_request_context():
        client_address = request.remote_addr  # the client's, behind trusted proxies (``trust_proxies``)
    actor = actor or Caller()
    at = utcnow().isoformat()
    records = [_record(action, outcome, actor, act, client_address=client_address, at=at) for act in acts]
    return outbox.record_many(session, AUDIT_EVENT, records)


def _record(action: str, outcome: str, actor: Caller, act: AuditedAct, *, client_address: str | None,
            at: str) -> dict[str, Any]:
    details = dict(act.details or {})
    _refuse_secrets(details)
    data: dict[str, Any] = {
        "action": action,
        "outcome": outcome,
        "actor": {"subject": actor.subject, "enterprise_id": actor.enterprise_id, "roles": sorted(actor.roles),
                  **({"kind": actor.kind} if actor.kind else {})},
        "subject": mask_personal_numbers(act.subject) if act.subject is not None else None,
        "field": act.field,
        "reason": mask_personal_numbers(act.reason) if act.reason is not None else None,
        "details": _masked(details),
        "client_address": client_address,
        "at": at,
    }
    parse_audit(data)  # the same checks the reporting service makes: a bad record fails here, at the act
    return data


def parse_audit(data: Mapping[str, Any]) -> AuditRecord:
    """Check the ``data`` of an ``audit.recorded`` event; ``InvalidAudit`` says what is wrong."""
    action = data.get("action")
    if not isinstance(action, str) or len(action) > MAX_ACTION or not ACTION_PATTERN.match(action):
        raise InvalidAudit(f"action must be a dotted lower-case name such as auth.login.password, not {action!r}")
    outcome = data.get("outcome")
    if outcome not in OUTCOMES:
        raise InvalidAudit(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    actor = data.get("actor")
    if not isinstance(actor, Mapping):
        raise InvalidAudit("actor must be an object {subject, enterprise_id, roles}")
    roles = actor.get("roles", [])
    if (not isinstance(roles, list) or len(roles) > MAX_ROLES
            or not all(isinstance(r, str) and 0 < len(r) <= MAX_ROLE for r in roles)):
        raise InvalidAudit(f"actor.roles must be a list of at most {MAX_ROLES} short role names")
    details = data.get("details", {})
    if details is None:
        details = {}
    if not isinstance(details, dict):
        raise InvalidAudit("details must be an object")
    try:
        size = len(json.dumps(details, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidAudit(f"details are not JSON: {exc}") from exc
    if size > MAX_DETAILS_CHARS:
        raise InvalidAudit(f"details are longer than {MAX_DETAILS_CHARS} characters as JSON")
    at = data.get("at")
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise InvalidAudit(f"at must be an ISO 8601 time with its offset, not {at!r}")
    return AuditRecord(
        action=action, outcome=str(outcome),
        actor_subject=_text(actor, "subject", MAX_ACTOR, "actor.subject"),
        actor_enterprise_id=_text(actor, "enterprise_id", MAX_ENTERPRISE, "actor.enterprise_id"),
        actor_roles=tuple(roles), actor_kind=_text(actor, "kind", MAX_KIND, "actor.kind"),
        subject=_text(data, "subject", MAX_SUBJECT), field=_text(data, "field", MAX_FIELD),
        reason=_text(data, "reason", MAX_REASON), details=details,
        client_address=_text(data, "client_address", MAX_ADDRESS), at=when,
    )


def mask_personal_numbers(text: str) -> str:
    """Mask what looks like a full resident ID number or bank card number (R4: region and last four), then
    anything else that could be a personal number (a phone, a mistyped ID: the last four only)."""
    def id_number(m: re.Match[str]) -> str:
        whole = m.group(0)
        return f"{m.group(1)}{'*' * 8}{whole[-4:]}" if _is_id_number(whole) else whole

    def card(m: re.Match[str]) -> str:
        return f"{m.group(1)}{'*' * len(m.group(2))}{m.group(3)}" if _luhn(m.group(0)) else m.group(0)

    return scrub_personal_numbers(_CARD_NUMBER.sub(card, _ID_NUMBER.sub(id_number, text)))


def _text(data: Mapping[str, Any], key: str, limit: int, name: str | None = None) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidAudit(f"{name or key} must be text of at most {limit} characters")
    return value


def _refuse_secrets(value: Any, path: str = "details") -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            bare = re.sub(r"[^a-z0-9]", "", str(key).lower())
            if any(word in bare for word in _SECRET_WORDS):
                raise InvalidAudit(f"{path}.{key}: secrets never go into the audit log")
            _refuse_secrets(inner, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, inner in enumerate(value):
            _refuse_secrets(inner, f"{path}[{i}]")


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_numbers(value)
    if isinstance(value, Mapping):
        return {str(k): _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


def _is_id_number(value: str) -> bool:
    """A GB 11643 resident ID number: a plausible birth date and the right check character."""
    try:
        born = datetime.strptime(value[6:14], "%Y%m%d")
    except ValueError:
        return False
    if not 1900 <= born.year <= 2100:
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17].upper()


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0
