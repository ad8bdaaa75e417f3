"""Calling one ISAPI terminal: Digest auth, JSON with ``?format=json``, the failures that are not answers.

A refused or timed-out connection is ``Unreachable`` (the device is offline, R26: its commands wait); an HTTP
401 after the digest exchange is ``CredentialsRefused``. Every other answer is handed back as it came.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import requests
from requests.auth import HTTPDigestAuth


class Unreachable(Exception):
    """No answer: connection refused, reset or timed out."""


class CredentialsRefused(Exception):
    """The device answered 401 to our user name and password."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any] | None  # the JSON answer, when it was JSON
    text: str

    def xml(self) -> ElementTree.Element:
        try:
            return ElementTree.fromstring(self.text)  # noqa: S314 - the configured device on the site's own LAN
        except ElementTree.ParseError as exc:
            raise Unreachable(f"not XML from the device: {exc}") from exc


def xml_text(root: ElementTree.Element, tag: str) -> str:
    """The text of the first element named ``tag``, whatever its namespace ("" when absent)."""
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == tag:
            return (element.text or "").strip()
    return ""


class IsapiClient:
    def __init__(self, address: str, username: str, password: str, *, timeout_s: float = 5.0) -> None:
        self.address, self._timeout_s = address.rstrip("/"), timeout_s
        self._auth = (username, password)
        self._local = threading.local()  # a session (its connections and its digest state) per thread

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.auth = HTTPDigestAuth(*self._auth)
            self._local.session = session
        return session

    def call(self, method: str, path: str, *, json: Any = None, data: bytes | str | None = None,
             files: dict[str, Any] | None = None, params: dict[str, str] | None = None,
             as_json: bool = True) -> Answer:
        query = dict(params or {})
        if as_json:
            query["format"] = "json"
        try:
            response = self._session().request(method, self.address + path, params=query, json=json, data=data,
                                               files=files, timeout=self._timeout_s)
        except requests.RequestException as exc:
            raise Unreachable(f"{type(exc).__name__}") from exc
        if response.status_code == 401:
            raise CredentialsRefused(path)
        body: dict[str, Any] | None = None
        if "json" in response.headers.get("Content-Type", ""):
            try:
                loaded = response.json()
                body = loaded if isinstance(loaded, dict) else None
            except ValueError:
                body = None
        return Answer(response.status_code, body, response.text)
