"""Broker accounts of devices outside the platform, made through RabbitMQ's management HTTP API.

A device (a card reader's PC, a gate, a site bridge) publishes with an account of its own, so that RabbitMQ
vouches for who sent each message (it refuses a ``user_id`` other than the connection's user). What each kind of
account may do is its service's business (a ``Permissions`` value); this module only talks to the broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

import requests

NOTHING = "^$"  # a permission regex that matches no name


class BrokerAdminUnavailable(Exception):
    """The management API did not do what was asked (unreachable, refused, or an error)."""


@dataclass(frozen=True, slots=True)
class TopicPermission:
    """Which routing keys an account may write to / read from one topic exchange."""

    exchange: str
    write: str = NOTHING
    read: str = NOTHING


@dataclass(frozen=True, slots=True)
class Permissions:
    """What an account may do in the vhost: regexes over resource names, and topic permissions per exchange."""

    configure: str = NOTHING
    write: str = NOTHING
    read: str = NOTHING
    topics: tuple[TopicPermission, ...] = ()


class BrokerAccounts(Protocol):
    def create(self, username: str, password: str, permissions: Permissions) -> None: ...

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

    # --- accounts ------------------------------------------------------------------------------------------

    def create(self, username: str, password: str, permissions: Permissions) -> None:
        user = quote(username, safe="")
        self._put(f"/users/{user}", {"password": password, "tags": ""})
        self._put(f"/permissions/{self._vhost}/{user}", {"configure": permissions.configure,
                                                          "write": permissions.write, "read": permissions.read})
        for topic in permissions.topics:
            self._put(f"/topic-permissions/{self._vhost}/{user}",
                      {"exchange": topic.exchange, "write": topic.write, "read": topic.read})

    def set_password(self, username: str, password: str) -> None:
        """A new password; the permissions stay. Connections already open stay open: see ``close_connections``."""
        self._put(f"/users/{quote(username, safe='')}", {"password": password, "tags": ""})

    def usernames(self) -> list[str]:
        return [str(user["name"]) for user in self._get("/users")]

    def remove(self, username: str) -> None:
        self._delete(f"/users/{quote(username, safe='')}", username)

    def close_connections(self, username: str) -> None:
        """Close every open connection of ``username`` (the broker's own tracking: at once, not a stats round)."""
        self._delete(f"/connections/username/{quote(username, safe='')}", username,
                     headers={"X-Reason": "credentials changed"})

    # --- topology (for resources an account may read but not declare) ---------------------------------------

    def declare_exchange(self, name: str, type_: str) -> None:
        self._put(f"/exchanges/{self._vhost}/{quote(name, safe='')}",
                  {"type": type_, "durable": True, "auto_delete": False, "internal": False, "arguments": {}})

    def declare_queue(self, name: str, arguments: dict[str, Any]) -> None:
        self._put(f"/queues/{self._vhost}/{quote(name, safe='')}",
                  {"durable": True, "auto_delete": False, "arguments": arguments})

    def bind(self, exchange: str, queue: str, routing_key: str) -> None:
        path = f"/bindings/{self._vhost}/e/{quote(exchange, safe='')}/q/{quote(queue, safe='')}"
        self._send("POST", path, {"routing_key": routing_key, "arguments": {}}, ok=(201, 204))

    def delete_queue(self, name: str) -> None:
        self._delete(f"/queues/{self._vhost}/{quote(name, safe='')}", name)

    def queue_names(self) -> list[str]:
        return [str(queue["name"]) for queue in self._get(f"/queues/{self._vhost}?columns=name")]

    # --- HTTP ------------------------------------------------------------------------------------------------

    def _get(self, path: str) -> list[dict[str, Any]]:
        response = self._call("GET", path, None)
        if response.status_code != 200:
            raise BrokerAdminUnavailable(f"GET {path}: HTTP {response.status_code}")
        found: list[dict[str, Any]] = response.json()
        return found

    def _put(self, path: str, body: dict[str, Any]) -> None:
        self._send("PUT", path, body, ok=(201, 204))

    def _delete(self, path: str, what: str, headers: dict[str, str] | None = None) -> None:
        response = self._call("DELETE", path, None, headers)
        if response.status_code not in (204, 404):  # already gone is gone
            raise BrokerAdminUnavailable(f"deleting {what}: HTTP {response.status_code}")

    def _send(self, method: str, path: str, body: dict[str, Any], ok: tuple[int, ...]) -> None:
        response = self._call(method, path, body)
        if response.status_code not in ok:
            raise BrokerAdminUnavailable(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")

    def _call(self, method: str, path: str, body: dict[str, Any] | None,
              headers: dict[str, str] | None = None) -> requests.Response:
        try:
            return requests.request(method, self._base + path, json=body, auth=self._auth, timeout=self._timeout,
                                    headers=headers)
        except requests.RequestException as exc:
            raise BrokerAdminUnavailable(f"{method} {path}: {exc!r}") from exc
