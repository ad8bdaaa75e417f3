"""A test-only gate on the real broker: it reads one account's command queue, applies each command to its
``SimulatedDevice`` (by serial: a native gate's own, or every gate behind a site bridge's account) and publishes the
acknowledgement to the gates' exchange as that account (AMQP ``user_id``, which the broker checks).

``pause()`` stops it taking commands (they wait in the queue, in priority order); ``applied`` lists what it did, in
order. Until the native-gate simulator replaces it after the merge.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pika
import requests

from realname_codes.gate_protocol import (
    ACKNOWLEDGED,
    BAD_PARAMETERS,
    DEVICE_FULL,
    DEVICE_OFFLINE,
    DIGEST,
    DONE,
    ENROL,
    FAILED,
    PHOTO_REJECTED,
    REVOKE,
    SET_TIME,
    UNKNOWN_DEVICE,
    Ack,
    Command,
    Digest,
    command_queue,
    decode,
    encode,
    exchange_in,
)
from realname_edge.gate_sims.device import (
    FULL_FACES,
    FULL_PEOPLE,
    PHOTO_MODELLING,
    PHOTO_NO_FACE,
    PHOTO_NOT_SHARP,
    PHOTO_TOO_LARGE,
    DeviceRefusal,
    SimulatedDevice,
)

_PHOTO_PROBLEMS = {PHOTO_NO_FACE: "no_face", PHOTO_NOT_SHARP: "not_sharp", PHOTO_TOO_LARGE: "size_out_of_range",
                   PHOTO_MODELLING: "modelling_failed"}


def gate_account(amqp: str, prefix: str, name: str) -> tuple[str, str]:
    """A broker account as the devices part makes one: it may write to the gates' exchange and read its own
    command queue, nothing else. (username, AMQP URL with its credentials.) The stack removes it (prefix)."""
    username, password = f"{prefix}{name}", secrets.token_urlsafe(16)
    parts = urlsplit(amqp)
    vhost = quote(unquote(parts.path[1:]) or "/", safe="")
    api = f"http://{parts.hostname}:15672/api"
    auth = (parts.username or "guest", parts.password or "guest")
    for path, body in ((f"/users/{quote(username, safe='')}", {"password": password, "tags": ""}),
                       (f"/permissions/{vhost}/{quote(username, safe='')}",
                        {"configure": "^$", "write": f"^{re.escape(exchange_in(prefix))}$",
                         "read": f"^{re.escape(command_queue(username, prefix))}$"})):
        response = requests.put(api + path, json=body, auth=auth, timeout=5)
        assert response.status_code in (201, 204), response.text
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{parts.hostname}:{parts.port or 5672}"
    return username, urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass
class GateResponder:
    url: str  # with the account's credentials
    account: str
    prefix: str
    devices: dict[str, SimulatedDevice]
    applied: list[tuple[str, str, str | None]] = field(default_factory=list)  # (serial, op, worker key)
    _stop: threading.Event = field(default_factory=threading.Event)
    _running: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> GateResponder:
        self._running.set()
        self._thread = threading.Thread(target=self._run, name=f"gate-responder-{self.account}", daemon=True)
        self._thread.start()
        return self

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            queue = command_queue(self.account, self.prefix)
            while not self._stop.is_set():
                if not self._running.is_set():
                    connection.sleep(0.05)
                    continue
                method, _, body = channel.basic_get(queue)
                if method is None:
                    connection.sleep(0.05)
                    continue
                _, command = decode(body)
                assert isinstance(command, Command)
                ack = self.apply(command)
                channel.basic_publish(exchange_in(self.prefix), ACKNOWLEDGED, encode(ack, source=self.account),
                                      pika.BasicProperties(delivery_mode=2, user_id=self.account))
                channel.basic_ack(method.delivery_tag)
        finally:
            connection.close()

    def apply(self, command: Command) -> Ack:
        device = self.devices.get(command.device)
        self.applied.append((command.device, command.op, command.worker_key))

        def answer(outcome: str, reason: str | None = None, problem: str | None = None, detail: str = "",
                   people: list[list[str]] | None = None) -> Ack:
            return Ack(command_id=command.command_id, device=command.device, op=command.op, outcome=outcome,
                       sequence=command.sequence, worker_key=command.worker_key, reason=reason,
                       photo_problem=problem, detail=detail, people=people or [])
        if device is None:
            return answer(FAILED, UNKNOWN_DEVICE)
        if not device.online:
            return answer(FAILED, DEVICE_OFFLINE)
        key = command.worker_key or ""
        try:
            if command.op == ENROL:
                device.put_person(key, command.name or key, command.valid_from, command.valid_until)
                device.put_face(key, base64.b64decode(command.face_jpeg or ""))
            elif command.op == REVOKE:
                device.remove_person(key)
            elif command.op == DIGEST:
                return answer(DONE, people=Digest(device.listing()).pairs())
            elif command.op == SET_TIME:
                device.set_time(datetime.fromisoformat(command.time or ""))
        except DeviceRefusal as refusal:
            if refusal.code in (FULL_PEOPLE, FULL_FACES):
                return answer(FAILED, DEVICE_FULL, detail=refusal.code)
            if refusal.code in _PHOTO_PROBLEMS:
                return answer(FAILED, PHOTO_REJECTED, _PHOTO_PROBLEMS[refusal.code], detail=refusal.code)
            return answer(FAILED, BAD_PARAMETERS, detail=refusal.code)
        return answer(DONE)
