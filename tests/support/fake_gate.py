"""A site bridge's gate driver for tests: it does what it is told after ``ack_delay`` seconds and answers done.

Options (from the bridge's file): ``record`` — a file where every command handed to it is appended as a line of
JSON (so a test can see what a bridge process did before it was killed); ``ack_delay``; ``punch_on_enrol`` — a
done enrol also punches the worker in; ``findings`` — the doctor codes ``check()`` names. Its web app, mounted at
``/iclock`` like the ZKTeco one, punches a worker in when a device calls ``/iclock/punch?SN=<serial>&PIN=<key>``.

Run as a program it is ``realname-edge`` with this driver in place of every vendor kind:
``python -m tests.support.fake_gate gates run --config FILE``.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from realname_codes.gate_protocol import DONE, ENROL, VENDOR_KINDS, Ack, Command, Punch, Report, now_iso
from realname_edge.gates.driver import Finding, GateConfig, GateDriver, GateSink
from realname_edge.gates.kinds import ZKTECO_PATH, Builder, Site


class FakeGate:
    def __init__(self, config: GateConfig) -> None:
        self.config = config
        self.submitted: list[Command] = []
        self.sink: GateSink | None = None
        self._todo: queue.Queue[Command | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name=f"fake-gate-{config.serial}", daemon=True)
        self._stopping = threading.Event()

    def start(self, sink: GateSink) -> None:
        self.sink = sink
        sink.reported(Report(device=self.config.serial, contact_at=now_iso(), kind=self.config.kind, model="fake"))
        self._thread.start()

    def submit(self, command: Command) -> None:
        self.submitted.append(command)
        record = self.config.options.get("record")
        if record:
            with open(record, "a", encoding="utf-8") as file:
                file.write(json.dumps({"command_id": command.command_id, "op": command.op}) + "\n")
        self._todo.put(command)

    def check(self) -> list[Finding]:
        return [Finding(self.config.serial, code, f"the fake gate says {code}", f"模拟闸机报告 {code}")
                for code in self.config.options.get("findings", [])]

    def stop(self) -> None:
        self._stopping.set()
        self._todo.put(None)
        if self._thread.is_alive():
            self._thread.join(10)

    def punch(self, worker_key: str) -> None:
        assert self.sink is not None
        at = now_iso()
        self.sink.punched([Punch(device=self.config.serial, worker_key=worker_key, at=at,
                                 event_key=f"{self.config.serial}:{worker_key}:{at}")])

    def _work(self) -> None:
        delay = float(self.config.options.get("ack_delay", 0))
        while (command := self._todo.get()) is not None:
            if self._stopping.wait(delay):
                return  # what is left stays in the bridge's journal
            assert self.sink is not None
            self.sink.acknowledged(Ack(command_id=command.command_id, device=command.device, op=command.op,
                                       outcome=DONE, sequence=command.sequence, worker_key=command.worker_key))
            if command.op == ENROL and self.config.options.get("punch_on_enrol") and command.worker_key:
                self.punch(command.worker_key)


class FakeGates:
    """The builders of a bridge whose every gate is a FakeGate; the gates built, by serial."""

    def __init__(self) -> None:
        self.gates: dict[str, FakeGate] = {}

    def builders(self) -> dict[str, Builder]:
        return dict.fromkeys(VENDOR_KINDS, self._build)

    def _build(self, config: GateConfig, site: Site) -> GateDriver:
        gate = self.gates[config.serial] = FakeGate(config)
        site.app(ZKTECO_PATH, lambda: _punch_app(self.gates))
        return gate


def _punch_app(gates: dict[str, FakeGate]) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    from werkzeug.wrappers import Request, Response

    @Request.application
    def app(request: Request) -> Response:
        gate = gates.get(request.args.get("SN", ""))
        if request.path != "/punch" or gate is None:
            return Response("unknown", status=404)
        gate.punch(request.args["PIN"])
        return Response("OK:1")

    return app


if __name__ == "__main__":
    from realname_edge.cli import main

    sys.exit(main(sys.argv[1:], gate_builders=FakeGates().builders()))
