"""The identity authority as the identity service calls it, and its adapter over HTTP.

Wire contract: ``POST {base_url}/v1/verify`` with ``{"id_number", "name", "valid_from", "valid_to"}`` (ISO dates,
``valid_to`` null for a long-term card) and an ``Idempotency-Key`` header. ``200 {"verdict": …}`` is a verdict;
``503 {"closed": true, "reopens_at": …}`` is a closure; a 4xx (but 408 and 429, which ask us to come back) is a
refusal, final like a verdict; anything else is a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import requests

from realname_identity.authority.verdicts import AuthorityClosed, AuthorityRefused, AuthorityUnavailable, Verdict
from realname_kit.timeutil import CHINA

IDEMPOTENCY_HEADER = "Idempotency-Key"
_VERDICTS = {v.value: v for v in Verdict}
_COME_BACK = (408, 429)  # request timeout, too many requests: a 4xx that is not a refusal


@dataclass(frozen=True, slots=True)
class VerificationRequest:
    id_number: str
    name: str
    valid_from: date
    valid_to: date | None  # None: a long-term (长期) card
    request_id: str  # one per card read, reused on every retry of it: the authority may be asked twice


class IdentityAuthority(Protocol):
    def verify(self, request: VerificationRequest) -> Verdict:
        """The authority's verdict; raises AuthorityRefused, AuthorityClosed or AuthorityUnavailable instead."""
        ...


class HttpIdentityAuthority:
    """``timeout_seconds`` bounds the connection and each wait for data from the authority."""

    def __init__(self, base_url: str, timeout_seconds: float = 3.0, session: requests.Session | None = None) -> None:
        self._url = f"{base_url.rstrip('/')}/v1/verify"
        self._timeout = timeout_seconds
        self._session = session or requests.Session()

    def verify(self, request: VerificationRequest) -> Verdict:
        response = self._post(request)
        status = response.status_code
        if status == 200:
            return _verdict(_json(response))
        if status == 503:
            closed = _closure(response)
            if closed is not None:
                raise closed
        if status >= 500:
            raise AuthorityUnavailable("server_error", f"HTTP {status}")
        if 400 <= status < 500 and status not in _COME_BACK:
            raise AuthorityRefused(status, f"HTTP {status}: {response.text[:200]}")
        # A redirect, a 408 or a 429: no verdict, but asking again later may get one.
        raise AuthorityUnavailable("bad_response", f"HTTP {status}")

    def _post(self, request: VerificationRequest) -> requests.Response:
        body = {"id_number": request.id_number, "name": request.name, "valid_from": request.valid_from.isoformat(),
                "valid_to": request.valid_to.isoformat() if request.valid_to else None}
        try:
            return self._session.post(self._url, json=body, headers={IDEMPOTENCY_HEADER: request.request_id},
                                      timeout=self._timeout, allow_redirects=False)
        except requests.ConnectTimeout as exc:  # nothing accepted the connection: the network, not the authority
            raise AuthorityUnavailable("unreachable", repr(exc)) from exc
        except requests.Timeout as exc:
            raise AuthorityUnavailable("timeout", repr(exc)) from exc
        except requests.RequestException as exc:
            raise AuthorityUnavailable("unreachable", repr(exc)) from exc


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise AuthorityUnavailable("bad_response", f"HTTP {response.status_code}, body is not JSON") from exc


def _verdict(body: Any) -> Verdict:
    value = body.get("verdict") if isinstance(body, dict) else None
    verdict = _VERDICTS.get(value) if isinstance(value, str) else None
    if verdict is None:
        raise AuthorityUnavailable("bad_response", f"HTTP 200 without a known verdict: {str(body)[:200]}")
    return verdict


def _closure(response: requests.Response) -> AuthorityClosed | None:
    """The closure a 503 announces; None for any other 503 (a proxy's error page, an overloaded server)."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not (isinstance(body, dict) and body.get("closed") is True):
        return None
    return AuthorityClosed(_instant(body.get("reopens_at")))


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None  # still closed; only the reopening time is lost
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)
