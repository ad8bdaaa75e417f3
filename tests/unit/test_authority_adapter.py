"""The identity authority adapter against the simulator on a local port: verdicts, closures, failures (R2, R3)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
from flask import Flask
from werkzeug.serving import make_server

from realname_codes.id_numbers import id_number_problem, make_id_number
from realname_edge.drivers.simulator import SAMPLE_IDENTITIES
from realname_identity.authority import (
    AuthorityClosed,
    AuthorityRefused,
    AuthorityUnavailable,
    HttpIdentityAuthority,
    UnavailableReason,
    Verdict,
    VerificationRequest,
    explain,
)
from realname_identity.authority_sim.app import create_app
from realname_identity.authority_sim.calendar import AuthorityCalendar
from realname_identity.authority_sim.failures import Dice, Failures
from realname_identity.authority_sim.register import Register
from realname_identity.authority_sim.serve import DEFAULT_DATA_FILE
from realname_kit.timeutil import CHINA

WEDNESDAY_MORNING = datetime(2025, 6, 11, 10, tzinfo=CHINA)
QUICK = Failures(base_latency_seconds=0.0)
ZHANG = make_id_number("310104", date(1980, 5, 17), 123)
LI = make_id_number("341221", date(1975, 2, 3), 245)
WANG = make_id_number("412726", date(1990, 8, 9), 357)
PEOPLE = [{"id_number": ZHANG, "name": "张三", "status": "match"},
          {"id_number": LI, "name": "李四", "status": "reported_fake"},
          {"id_number": WANG, "name": "王五", "status": "expired"}]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def ask(number: str = ZHANG, name: str = "张三", valid_to: date | None = date(2036, 5, 1),
        request_id: str = "read-1") -> VerificationRequest:
    return VerificationRequest(number, name, date(2016, 5, 1), valid_to, request_id)


@contextmanager
def served(app: Callable[..., Any]) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def people_file(tmp_path: Path) -> Path:
    path = tmp_path / "people.json"
    path.write_text(json.dumps(PEOPLE, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def authority(people_file: Path) -> Iterator[Callable[..., HttpIdentityAuthority]]:
    """A simulator on a port of its own and an adapter to it, shaped by each test."""
    with ExitStack() as stack:
        def make(failures: Failures = QUICK, calendar: AuthorityCalendar | None = None,
                 clock: Clock | None = None, timeout: float = 2.0) -> HttpIdentityAuthority:
            app = create_app(people_file, calendar or AuthorityCalendar(), failures, clock or Clock(WEDNESDAY_MORNING))
            return HttpIdentityAuthority(stack.enter_context(served(app)), timeout_seconds=timeout)
        yield make


@pytest.mark.parametrize(("request_", "verdict"), [
    (ask(), Verdict.MATCH),
    (ask(name="张叁"), Verdict.MISMATCH),
    (ask(LI, "李四"), Verdict.REPORTED_FAKE),
    (ask(WANG, "王五"), Verdict.EXPIRED),
    (ask(make_id_number("310104", date(1980, 5, 17), 125)), Verdict.NOT_FOUND),
])
def test_every_verdict_of_the_authority_reaches_the_caller(authority, request_: VerificationRequest, verdict):
    assert authority().verify(request_) is verdict


def test_a_card_whose_validity_ended_before_today_in_china_is_expired(authority):
    late_tuesday_utc = Clock(datetime(2025, 6, 10, 16, 30, tzinfo=UTC))  # already Wednesday 00:30 in Shanghai
    always = AuthorityCalendar(mode="always_open")
    assert authority(clock=late_tuesday_utc, calendar=always).verify(ask(valid_to=date(2025, 6, 10))) is Verdict.EXPIRED
    assert authority().verify(ask(valid_to=date(2025, 6, 11))) is Verdict.MATCH
    assert authority().verify(ask(valid_to=None)) is Verdict.MATCH  # a long-term card


def test_a_number_typed_with_a_small_x_is_the_same_number(tmp_path: Path):
    number = make_id_number("610526", date(1986, 8, 29), 378)
    path = tmp_path / "people.json"
    path.write_text(json.dumps([{"id_number": number, "name": "孙丽", "status": "match"}]), encoding="utf-8")
    assert number.endswith("X")
    assert Register.load(path).verdict(number.lower(), "孙丽", None, date(2025, 6, 11)) is Verdict.MATCH


def test_on_a_friday_evening_the_authority_is_closed_until_monday_morning(authority):
    friday_evening = Clock(datetime(2025, 6, 13, 20, tzinfo=CHINA))
    with pytest.raises(AuthorityClosed) as closed:
        authority(clock=friday_evening).verify(ask())
    assert closed.value.reopens_at == datetime(2025, 6, 16, 8, tzinfo=CHINA)
    assert "2025-06-16 08:00" in closed.value.explanation.message_zh


def test_a_forced_closure_is_closed_with_no_reopening_time(authority):
    with pytest.raises(AuthorityClosed) as closed:
        authority(calendar=AuthorityCalendar(mode="closed_now")).verify(ask())
    assert closed.value.reopens_at is None
    assert closed.value.explanation.code == "identity_authority_closed"


def test_a_slow_authority_surfaces_as_a_timeout_within_the_clients_timeout(authority):
    slow = authority(Failures(slow_probability=1.0, slow_seconds=3.0, base_latency_seconds=0.0), timeout=0.1)
    started = time.monotonic()
    with pytest.raises(AuthorityUnavailable) as failed:
        slow.verify(ask())
    assert failed.value.reason == "timeout"
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("status", [500, 502])
def test_a_server_error_of_the_authority_surfaces_as_server_error(authority, status: int):
    failing = authority(Failures(error_probability=1.0, error_statuses=(status,), base_latency_seconds=0.0))
    with pytest.raises(AuthorityUnavailable) as failed:
        failing.verify(ask())
    assert (failed.value.reason, failed.value.detail) == ("server_error", f"HTTP {status}")


def test_a_body_that_is_not_json_surfaces_as_a_bad_response(authority):
    garbled = authority(Failures(garbled_probability=1.0, base_latency_seconds=0.0))
    with pytest.raises(AuthorityUnavailable) as failed:
        garbled.verify(ask())
    assert failed.value.reason == "bad_response"


def test_an_authority_nobody_listens_for_surfaces_as_unreachable():
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    with pytest.raises(AuthorityUnavailable) as failed:
        HttpIdentityAuthority(f"http://127.0.0.1:{port}", timeout_seconds=0.5).verify(ask())
    assert failed.value.reason == "unreachable"


def canned(status: str, body: bytes, content_type: str = "application/json") -> Callable[..., Any]:
    def app(_environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]
    return app


@pytest.mark.parametrize(("status", "body", "reason"), [
    ("200 OK", b'{"verdict": "probably"}', "bad_response"),
    ("200 OK", b'["match"]', "bad_response"),
    ("302 Found", b"", "bad_response"),
    ("429 Too Many Requests", b'{"error": "slow down"}', "bad_response"),
    ("408 Request Timeout", b"", "bad_response"),
    ("503 Service Unavailable", b"<html>overloaded</html>", "server_error"),
    ("503 Service Unavailable", b'{"closed": false}', "server_error"),
])
def test_an_answer_that_is_not_the_contract_gives_no_verdict(status: str, body: bytes, reason: str):
    with served(canned(status, body)) as url, pytest.raises(AuthorityUnavailable) as failed:
        HttpIdentityAuthority(url, timeout_seconds=1.0).verify(ask())
    assert failed.value.reason == reason


def test_a_closure_without_a_readable_reopening_time_is_still_a_closure():
    with served(canned("503 Service Unavailable", b'{"closed": true, "reopens_at": "Monday"}')) as url, \
            pytest.raises(AuthorityClosed) as closed:
        HttpIdentityAuthority(url).verify(ask())
    assert closed.value.reopens_at is None


def test_the_request_id_is_sent_as_the_idempotency_key_so_a_retry_gets_the_first_answer(authority):
    clock = Clock(datetime(2025, 6, 11, 19, 59, tzinfo=CHINA))
    adapter = authority(clock=clock, calendar=AuthorityCalendar(mode="always_open"))
    last_day = ask(valid_to=date(2025, 6, 11), request_id="read-42")
    assert adapter.verify(last_day) is Verdict.MATCH
    clock.now += timedelta(days=1)  # the card has expired since; a retry of the same read is the same question
    assert adapter.verify(last_day) is Verdict.MATCH
    assert adapter.verify(ask(valid_to=date(2025, 6, 11), request_id="read-43")) is Verdict.EXPIRED


def test_a_request_id_reused_for_another_card_is_refused_not_answered(authority):
    adapter = authority()
    adapter.verify(ask(request_id="read-7"))
    with pytest.raises(AuthorityRefused) as refused:
        adapter.verify(ask(LI, "李四", request_id="read-7"))
    assert refused.value.status == 422 and refused.value.explanation.code == "authority_refused"


@pytest.mark.parametrize("status", ["400 Bad Request", "404 Not Found", "403 Forbidden"])
def test_a_4xx_of_the_authority_is_a_refusal_a_final_answer(status: str):
    with served(canned(status, b'{"error": "no"}')) as url, pytest.raises(AuthorityRefused) as refused:
        HttpIdentityAuthority(url, timeout_seconds=1.0).verify(ask())
    assert refused.value.status == int(status[:3])
    assert refused.value.explanation.message_zh and "Read the card again" in refused.value.explanation.message


def test_the_simulator_refuses_with_a_400_when_told_to(authority):
    adapter = authority(failures=Failures(base_latency_seconds=0.0, refused_probability=1.0),
                        calendar=AuthorityCalendar(mode="always_open"))
    with pytest.raises(AuthorityRefused) as refused:
        adapter.verify(ask())
    assert refused.value.status == 400


def test_every_request_spends_the_base_latency_and_a_malformed_one_is_refused(people_file: Path):
    slept: list[float] = []
    app: Flask = create_app(people_file, AuthorityCalendar(mode="always_open"), Failures(), sleep=slept.append)
    client = app.test_client()
    assert client.post("/v1/verify", json={"id_number": ZHANG, "name": "张三"}).status_code == 400
    assert client.post("/v1/verify", json={"id_number": ZHANG, "name": "张三", "valid_from": "2016-05-01",
                                           "valid_to": "soon"}).status_code == 400
    assert client.get("/healthz").json == {"status": "ok", "open": True, "people": 3}
    assert slept == [0.05, 0.05]


def test_the_same_seed_brings_the_same_mishaps_in_the_same_order():
    failures = Failures(slow_probability=0.2, error_probability=0.3, garbled_probability=0.1, seed=7)
    first, second = Dice(failures), Dice(failures)
    rolls = [first.roll() for _ in range(200)]
    assert rolls == [second.roll() for _ in range(200)]
    mishaps = [mishap for mishap, _ in rolls]
    assert {"none", "slow", "error", "garbled"} == set(mishaps)
    assert 40 <= mishaps.count("error") <= 80


def test_probabilities_that_add_up_to_more_than_one_are_refused():
    with pytest.raises(ValueError):
        Failures(slow_probability=0.6, error_probability=0.6)


def test_the_packaged_register_lists_about_thirty_valid_people_of_every_status():
    register = Register.load(DEFAULT_DATA_FILE)
    assert 25 <= len(register.people) <= 35
    assert {p.status for p in register.people.values()} == {"match", "reported_fake", "expired"}
    assert [n for n in register.people if id_number_problem(n, date(2025, 6, 11))] == []


def test_every_verdict_and_failure_explains_itself_in_chinese_and_english():
    explanations = [explain(v) for v in Verdict] + [AuthorityUnavailable(r).explanation
                                                    for r in get_args(UnavailableReason)] + \
        [AuthorityRefused(400).explanation]
    assert len({e.code for e in explanations[:len(Verdict)]}) == len(Verdict)
    assert len({e.message for e in explanations}) == len({e.message_zh for e in explanations}) == len(explanations)
    for e in explanations:
        assert e.message.isascii() and e.message_zh and not e.message_zh.isascii()
        assert "screenshot" not in e.message and "截图" not in e.message_zh


def test_a_closure_tells_when_the_authority_reopens_in_china_time_and_that_the_read_is_kept():
    closed = AuthorityClosed(datetime(2025, 6, 16, 0, tzinfo=UTC))
    assert "2025-06-16 08:00 China time" in closed.explanation.message
    assert "kept" in closed.explanation.message and "已保存" in closed.explanation.message_zh


def test_the_packaged_register_knows_the_edge_simulators_sample_people_so_a_demo_read_is_verified():
    register = Register.load(DEFAULT_DATA_FILE)
    samples = json.loads(SAMPLE_IDENTITIES.read_text(encoding="utf-8"))
    people = [s for s in samples if "id_number" in s]
    assert people and all(register.people[s["id_number"]].name == s["name"] for s in people)
