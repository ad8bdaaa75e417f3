"""HTTP Digest authentication as a Hikvision terminal does it (RFC 7616: MD5, qop=auth).

A request without credentials, or with a wrong password, is answered 401 with a fresh challenge; a wrong
password stays refused however often it is tried.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Mapping

from werkzeug.datastructures import WWWAuthenticate
from werkzeug.wrappers import Request, Response

REALM = "DS-K1T"  # a real terminal names its model family here


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class DigestGuard:
    """Issues nonces and checks the ``Authorization: Digest`` header of each request."""

    def __init__(self, username: str, password: str) -> None:
        self._username, self._password = username, password
        self._nonces: set[str] = set()
        self._lock = threading.Lock()

    def challenge(self) -> Response:
        nonce = secrets.token_hex(16)
        with self._lock:
            if len(self._nonces) > 10_000:  # a long-running simulator must not grow without end
                self._nonces.clear()
            self._nonces.add(nonce)
        answer = Response("<html><body>401 Unauthorized</body></html>", 401, content_type="text/html")
        answer.www_authenticate = WWWAuthenticate(
            "digest", {"realm": REALM, "qop": "auth", "nonce": nonce, "algorithm": "MD5", "stale": "FALSE"})
        return answer

    def admits(self, request: Request) -> bool:
        auth = request.authorization
        if auth is None or auth.type != "digest":
            return False
        fields: Mapping[str, str | None] = auth.parameters
        nonce, uri, response = fields.get("nonce"), fields.get("uri"), fields.get("response")
        with self._lock:
            known = nonce in self._nonces
        if not (known and uri and response) or fields.get("username") != self._username:
            return False
        ha1 = _md5(f"{self._username}:{REALM}:{self._password}")
        ha2 = _md5(f"{request.method}:{uri}")
        if fields.get("qop") == "auth":
            expected = _md5(f"{ha1}:{nonce}:{fields.get('nc')}:{fields.get('cnonce')}:auth:{ha2}")
        else:
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        return hmac.compare_digest(expected, str(response))
