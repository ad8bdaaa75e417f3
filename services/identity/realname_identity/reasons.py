"""What a read's status means to the person who read the card, by its reason code (R2, R3)."""

from __future__ import annotations

from realname_identity.authority import AuthorityClosed, AuthorityUnavailable, Verdict, explain
from realname_identity.authority.verdicts import REFUSED, UnavailableReason
from realname_identity.checks import REJECTIONS
from realname_identity.models import CardRead

_REJECTIONS: dict[str, tuple[str, str]] = {
    **{explain(v).code: (explain(v).message, explain(v).message_zh) for v in Verdict if v is not Verdict.MATCH},
    **{code: (message, message_zh) for code, message, message_zh in REJECTIONS},
    REFUSED.code: (REFUSED.message, REFUSED.message_zh),
}
_WAITING = ("The read is waiting for the identity authority.", "本次读卡正在等待身份核验机构核验。")
_UNAVAILABLE: tuple[UnavailableReason, ...] = ("timeout", "server_error", "unreachable", "bad_response")


def describe(read: CardRead) -> tuple[str | None, str, str]:
    """``(reason code, message, message_zh)`` for the read as it stands."""
    if read.status == "verified":
        why = explain(Verdict.MATCH)
        return None, why.message, why.message_zh
    if read.status == "rejected":
        message, message_zh = _REJECTIONS.get(read.reason or "", _REJECTIONS["unreadable"])
        return read.reason, message, message_zh
    return read.last_error, *_pending(read)


def _pending(read: CardRead) -> tuple[str, str]:
    if read.last_error == "authority_closed":
        closed = AuthorityClosed(read.next_attempt_at)
        return closed.explanation.message, closed.explanation.message_zh
    if read.last_error in _UNAVAILABLE:
        unavailable = AuthorityUnavailable(next(r for r in _UNAVAILABLE if r == read.last_error))
        return unavailable.explanation.message, unavailable.explanation.message_zh
    return _WAITING
