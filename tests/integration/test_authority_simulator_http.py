"""The identity authority simulator as ``./realname up`` runs it: a process of its own, reached over HTTP."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import IO

import pytest

from realname_codes.id_numbers import make_id_number
from realname_identity.authority import (
    AuthorityClosed,
    AuthorityUnavailable,
    HttpIdentityAuthority,
    Verdict,
    VerificationRequest,
)
from realname_identity.authority_sim.serve import DEFAULT_DATA_FILE

PACKAGED = json.loads(DEFAULT_DATA_FILE.read_text(encoding="utf-8"))


def _first_line(stream: IO[str] | None, timeout: float) -> str:
    assert stream is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    return lines.get(timeout=timeout)


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Callable[..., HttpIdentityAuthority]]:
    """Start ``python -m realname_identity.authority_sim`` with a calendar file and settings; stop it afterwards."""
    processes: list[subprocess.Popen[str]] = []

    def start(calendar: str, **settings: str) -> HttpIdentityAuthority:
        calendar_file = tmp_path / f"calendar-{len(processes)}.toml"
        calendar_file.write_text(calendar, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("REALNAME_AUTHORITY_SIM_")}
        env["REALNAME_AUTHORITY_SIM_CALENDAR_FILE"] = str(calendar_file)
        env.update({f"REALNAME_AUTHORITY_SIM_{k.upper()}": v for k, v in settings.items()})
        process = subprocess.Popen([sys.executable, "-m", "realname_identity.authority_sim", "--port", "0"],
                                   stdout=subprocess.PIPE, text=True, env=env)
        processes.append(process)
        line = _first_line(process.stdout, timeout=30)
        assert line.startswith("identity authority simulator on http://"), line
        return HttpIdentityAuthority(line.split()[-1], timeout_seconds=2.0)

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def _request(person: dict[str, str], name: str | None = None, request_id: str = "read-1") -> VerificationRequest:
    return VerificationRequest(person["id_number"], name or person["name"], date(2020, 1, 2), None, request_id)


def test_the_simulator_process_answers_every_verdict_from_its_packaged_register(simulator):
    authority = simulator('mode = "always_open"\n')
    for status in ("match", "reported_fake", "expired"):
        person = next(p for p in PACKAGED if p["status"] == status)
        assert authority.verify(_request(person, request_id=f"read-{status}")) is Verdict(status)
    someone = PACKAGED[0]
    assert authority.verify(_request(someone, name="无名氏", request_id="read-x")) is Verdict.MISMATCH
    stranger = {"id_number": make_id_number("110105", date(1949, 12, 31), 2), "name": "路人甲"}
    assert authority.verify(_request(stranger, request_id="read-y")) is Verdict.NOT_FOUND


def test_a_calendar_file_closes_the_simulator_process(simulator):
    with pytest.raises(AuthorityClosed) as closed:
        simulator('mode = "closed_now"\n').verify(_request(PACKAGED[0]))
    assert closed.value.reopens_at is None


def test_the_failure_settings_make_the_simulator_process_fail(simulator, tmp_path: Path):
    people = tmp_path / "people.json"
    people.write_text(json.dumps(PACKAGED[:1], ensure_ascii=False), encoding="utf-8")
    authority = simulator('mode = "always_open"\n', data_file=str(people), error_rate="1", seed="1")
    with pytest.raises(AuthorityUnavailable) as failed:
        authority.verify(_request(PACKAGED[0]))
    assert failed.value.reason == "server_error"


def test_the_mode_setting_overrides_the_calendar(simulator):
    with pytest.raises(AuthorityClosed):
        simulator('mode = "always_open"\n', mode="closed_now").verify(_request(PACKAGED[0]))

