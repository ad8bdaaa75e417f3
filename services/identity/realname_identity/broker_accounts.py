"""The broker accounts of edge-readers, made through RabbitMQ's management HTTP API.

An account may publish to the edge exchange, with the routing key ``card.read`` only (topic permission), and
may neither declare nor read anything. RabbitMQ refuses a message whose ``user_id`` is not the publishing
connection's user, so the identity service knows whose reader sent each read.
"""

from __future__ import annotations

import re
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

import requests


class BrokerAdminUnavailable(Exception):
    """The management API did not do what was asked (unreachable, refused, or an error)."""


class BrokerAccounts(Protocol):
    def create(self, username: str, password: str, exchange: str) -> None: ...

    def remove(self, username: str) -> None: ...


class RabbitManagement:
    def __init__(self, api_url: str, vhost: str, timeout: float = 5.0) -> None:
        parts = urlsplit(api_url)
        self._base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
        self._auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
        self._vhost, self._timeout = quote(vhost, safe=""), timeout

    @classmethod
    def for_amqp(cls, amqp_url: str, management_url: str = "") -> RabbitManagement:
        """The management API beside the broker of ``amqp_url`` (port 15672, the same credentials) unless given."""
        amqp = urlsplit(amqp_url)
        vhost = unquote(amqp.path[1:]) if len(amqp.path) > 1 else "/"
        if management_url:
            return cls(management_url, vhost)
        netloc = f"{amqp.username or 'guest'}:{amqp.password or 'guest'}@{amqp.hostname or '127.0.0.1'}:15672"
        return cls(f"http://{netloc}", vhost)

    def create(self, username: str, password: str, exchange: str) -> None:
        user = quote(username, safe="")
        self._put(f"/users/{user}", {"password": password, "tags": ""})
        self._put(f"/permissions/{self._vhost}/{user}",
                  {"configure": "^$", "write": f"^{re.escape(exchange)}$", "read": "^$"})
        self._put(f"/topic-permissions/{self._vhost}/{user}",
                  {"exchange": exchange, "write": r"^card\.read$", "read": "^$"})

    def usernames(self) -> list[str]:
        response = self._call("GET", "/users", None)
        if response.status_code != 200:
            raise BrokerAdminUnavailable(f"listing users: HTTP {response.status_code}")
        return [str(user["name"]) for user in response.json()]

    def remove(self, username: str) -> None:
        response = self._call("DELETE", f"/users/{quote(username, safe='')}", None)
        if response.status_code not in (204, 404):  # already gone is gone
            raise BrokerAdminUnavailable(f"deleting {username}: HTTP {response.status_code}")

    def _put(self, path: str, body: dict[str, str]) -> None:
        response = self._call("PUT", path, body)
        if response.status_code not in (201, 204):
            raise BrokerAdminUnavailable(f"PUT {path}: HTTP {response.status_code} {response.text[:200]}")

    def _call(self, method: str, path: str, body: dict[str, str] | None) -> requests.Response:
        try:
            return requests.request(method, self._base + path, json=body, auth=self._auth, timeout=self._timeout)
        except requests.RequestException as exc:
            raise BrokerAdminUnavailable(f"{method} {path}: {exc!r}") from exc
