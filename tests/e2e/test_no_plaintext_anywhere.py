"""No personal number in plaintext wherever the platform keeps or sends data (issue 13 §1; R4, PIPL).

A full day is played through the gateway, in both modes: card reads (verified, refused by the platform's own
checks, refused by the authority), registrations from a read and by hand, edits of a phone and a wage card, a
search by a full ID number, an Excel import with a bad row, an assignment and its entry decision, a late
resignation and a death, each with an evidence PDF. Then every place is searched for every ID, phone and
bank-card number used (plain, and written in groups), and for a name beside its address:

- distributed mode, whose card reads come from an edge-reader (its publisher and spool, real pika, the reader
  account the employer opened): every column of every table of every service's PostgreSQL database (outboxes
  and inboxes included), a tap queue bound with ``#`` to every exchange before the flow began (the edge
  exchange included), every dead-letter queue, the reader's spool file, the output of every process;
- all-in-one mode: every table of every SQLite file, the bytes of every file under its data dir (the dead
  letters' file included), its output; and, its outbox retention set to a second, that the published rows go.

The evidence PDFs print the dead and the resigned workers' numbers: evidence is encrypted at rest, so those do not
appear in clear either (the last test names the evidence table on its own).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from kombu import Connection, Exchange, Queue, binding
from sqlalchemy import LargeBinary, MetaData, create_engine, inspect, select
from sqlalchemy.types import String, Text

from realname_edge.card import CardRecord
from realname_edge.publisher import CardReadPublisher
from realname_edge.spool import CardSpool
from realname_kit.db import Database
from realname_kit.service import PLATFORM
from realname_kit.timeutil import today_in_china
from tests.e2e.test_registry_flow import GC, LABOUR, login
from tests.support.documents import pdf
from tests.support.infra import free_port
from tests.support.launched import ApiClient, Launched, service_ports
from tests.support.register_people import WANG, ZHANG
from tests.support.sheets import workbook
from tests.support.stack import Stack, eventually
from tests.support.workers import id_number, wage_card, worker_body

pytestmark = pytest.mark.e2e

# People of the authority simulator's packaged register (Zhang's number mistyped), and one it does not know.
ZHANG_MISTYPED = {**ZHANG, "id_number": "412726198511233570"}
STRANGER_NUMBER = id_number(region="320102")
STRANGER = {**ZHANG_MISTYPED, "name": "赵无名", "address": "江苏省南京市玄武区中山路9号", "id_number": STRANGER_NUMBER,
            "birth_date": f"{STRANGER_NUMBER[6:10]}-{STRANGER_NUMBER[10:12]}-{STRANGER_NUMBER[12:14]}"}
READS = "/api/v1/identity/card-reads"
WORKERS = "/api/v1/registry/workers"


@dataclass
class Used:
    """Every personal number a flow used, and every name with its address."""

    numbers: set[str] = field(default_factory=set)
    people: set[tuple[str, str]] = field(default_factory=set)
    in_evidence: set[str] = field(default_factory=set)  # the numbers printed in the evidence PDFs

    def body(self, body: dict[str, Any]) -> dict[str, Any]:
        identity = body["identity"]
        self.numbers |= {identity["id_number"], body["phone"], body["employment"]["wage_card_number"]}
        self.people.add((identity["name"], identity["address"]))
        return body

    def card(self, card: dict[str, Any]) -> dict[str, Any]:
        self.numbers.add(card["id_number"])
        self.people.add((card["name"], card["address"]))
        return card

    def forms(self) -> dict[str, str]:
        """Each number's spellings (plain, in groups of four, a phone as 3-4-4) to the number."""
        spelled: dict[str, str] = {}
        for number in self.numbers:
            groups = [number[i:i + 4] for i in range(0, len(number), 4)]
            phone = f"{number[:3]} {number[3:7]} {number[7:]}" if len(number) == 11 else number
            spelled.update({number: number, " ".join(groups): number, phone: number})
        return spelled


@dataclass
class Findings:
    """What one mode's run left behind, by where it was found."""

    used: Used
    places: dict[str, list[str]] = field(default_factory=dict)  # "where" -> pieces of text found there

    def add(self, where: str, pieces: Iterable[str]) -> None:
        self.places.setdefault(where, []).extend(pieces)

    def numbers_in(self, prefix: str, skip: set[str] | None = None) -> list[str]:
        forms = {f: n for f, n in self.used.forms().items() if n not in (skip or set())}
        return sorted({f"{where}: {form}" for where, pieces in self.places.items() if where.startswith(prefix)
                       for piece in pieces for form in forms if form in piece})

    def people_in(self, prefix: str) -> list[str]:
        return sorted({f"{where}: {name} + {address}" for where, pieces in self.places.items()
                       if where.startswith(prefix) for piece in pieces
                       for name, address in self.used.people if name in piece and address in piece})


# --- the flow ------------------------------------------------------------------------------------------------

def ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.method, response.url, response.status_code,
                                            response.text[:1000])
    return response.json()


def created(response: requests.Response) -> Any:
    return response.json() if response.status_code == 201 else None


def settled(client: ApiClient, read_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:  # an edge read is not there (404) until the identity consumer took it
        answer = client.call("GET", f"{READS}/{read_id}")
        read: dict[str, Any] = answer.json()
        return read if answer.status_code == 200 and read.get("status") != "pending" else None
    found: dict[str, Any] = eventually(done, timeout=60, interval=0.2)
    return found


CardReader = Callable[[ApiClient, dict[str, Any]], str]  # sends a card read as the employer, gives its read id


def read_in_browser(client: ApiClient, card: dict[str, Any]) -> str:
    return str(ok(client.call("POST", READS, json=card), 201)["id"])


class EdgeReader:
    """The employer's edge-reader: a reader account it opens through the platform at its first read, then the
    reader's publisher and spool as ``realname-edge run`` uses them."""

    def __init__(self, spool_path: Path) -> None:
        self.spool_path = spool_path
        self.account: dict[str, Any] = {}
        self.spooled: list[str] = []  # the spool file and its journal as each read left them, the file still open

    def __call__(self, client: ApiClient, card: dict[str, Any]) -> str:
        account = self.account = self.account or ok(client.call("POST", "/api/v1/identity/reader-accounts"), 201)
        photo = base64.b64encode(bytes(range(256)) * 4).decode()  # a WLT photo's 1,024 bytes
        with CardSpool(self.spool_path) as spool, \
                CardReadPublisher(account["amqp_url"], account["exchange"], account["employer_id"], spool,
                                  seal_key=account["seal_key"]) as publisher:
            read_id = publisher.record_read(CardRecord.from_event({**card, "photo": photo, "card_serial": None}))
            eventually(lambda: publisher.publish_pending() >= 0 and spool.count() == 0, timeout=30, interval=0.5)
            self.spooled += self.files()
        return read_id

    def files(self) -> list[str]:
        return [f"{p.name} {p.read_bytes().decode('latin-1')}"
                for p in sorted(self.spool_path.parent.glob(f"{self.spool_path.name}*"))]


def play(platform: Launched, used: Used, read: CardReader = read_in_browser) -> None:
    """The day: every kind of personal number in every kind of act."""
    platform.wait_ready(timeout=120)
    gc, labour = login(platform, *GC, "general_contractor"), login(platform, *LABOUR, "labour")
    today = today_in_china()
    project = eventually(lambda: created(gc.call("POST", "/api/v1/assignment/projects", json={
        "name": "清河路住宅", "registration_number": f"BJ-PRIV-{free_port()}", "address": "上海市虹口区清河路8号",
        "planned_start": "2026-01-01", "planned_completion": "2028-06-30"})), timeout=20)
    contract = eventually(lambda: created(gc.call("POST", f"/api/v1/assignment/projects/{project['id']}/contracts",
                                                  json={"contractor_uscc": LABOUR[0], "kind": "labour"})), timeout=20)
    team = eventually(lambda: created(labour.call("POST", "/api/v1/registry/teams", json={
        "project_id": project["id"], "name": "木工一班"})), timeout=20)

    verified = settled(labour, read(labour, used.card(WANG)))
    assert verified["status"] == "verified", verified
    refused = settled(labour, read(labour, used.card(ZHANG_MISTYPED)))
    assert refused["status"] == "rejected", refused
    unknown = settled(labour, read(labour, used.card(STRANGER)))
    assert unknown["status"] == "rejected", unknown

    start = str(today - timedelta(days=30))
    from_read = worker_body(team["id"], contract_start=start)
    from_read.pop("identity")
    used.numbers |= {from_read["phone"], from_read["employment"]["wage_card_number"], "13700001111", wage_card(987)}
    answer = labour.call("POST", WORKERS, json={**from_read, "card_read_id": verified["id"]})
    registered = ok(answer, 201)
    assert registered["identity_status"] == "verified"
    ok(labour.call("PATCH", f"{WORKERS}/{registered['id']}", headers={"If-Match": answer.headers["ETag"]},
                   json={"phone": "13700001111", "employment": {"wage_card_number": wage_card(987)}}))
    found = ok(labour.call("GET", WORKERS, params={"id_number": WANG["id_number"]}))["items"]
    assert [w["id"] for w in found] == [registered["id"]]

    resigning, dying = (used.body(worker_body(team["id"], contract_start=start)) for _ in range(2))
    resigner = ok(labour.call("POST", WORKERS, json=resigning), 201)["id"]
    dead = ok(labour.call("POST", WORKERS, json=dying), 201)["id"]
    good, bad = used.body(worker_body(None)), used.body(worker_body(None, number="310104198503151234"))
    imported = ok(labour.call("POST", "/api/v1/registry/imports", data={"project_id": project["id"]},
                              files={"file": ("工人.xlsx", io.BytesIO(workbook([good, bad], team_name="木工一班")))}),
                  201)
    assert (imported["registered"], imported["failed"]) == (1, 1), imported

    assignment = eventually(lambda: (item := ok(labour.call("POST", "/api/v1/assignment/assignments", json={
        "contract_id": contract["id"], "worker_ids": [registered["id"]]}))["items"][0])["outcome"] == "assigned"
        and item, timeout=30)
    decided = ok(gc.call("POST", "/api/v1/assignment/decisions",
                         json={"items": [{"assignment_id": assignment["assignment_id"], "decision": "accept"}]}))
    assert decided["items"][0]["outcome"] == "accepted", decided

    for worker_id, person, act in ((resigner, resigning, "resignation"), (dead, dying, "death")):
        number = person["identity"]["id_number"]
        used.in_evidence.add(number)
        evidence = ok(labour.call("POST", "/api/v1/registry/evidence", files={
            "file": (f"{act}.pdf", io.BytesIO(pdf(f"ID {number}")), "application/pdf")}),
            201)
        day = str(today - timedelta(days=3))
        body = ({"date": day, "reason": "本人书面申请，补录", "evidence_id": evidence["id"]} if act == "resignation"
                else {"died_on": day, "evidence_id": evidence["id"]})
        ok(labour.call("POST", f"{WORKERS}/{worker_id}/{act}", json=body))


# --- what the run left behind ---------------------------------------------------------------------------------

def table_values(url: str) -> Iterator[tuple[str, str]]:
    """``(table.column, text)`` for every text and binary value of every table of the database at ``url``."""
    engine = Database(url).engine if url.startswith("postgresql") else create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                wanted = [c for c in table.columns if isinstance(c.type, String | Text | LargeBinary)]
                if not wanted:
                    continue
                for row in conn.execute(select(*wanted)):
                    for column, value in zip(wanted, row, strict=True):
                        if value is not None:
                            yield f"{table.name}.{column.name}", _text(value)
    finally:
        engine.dispose()


def _text(value: object) -> str:
    return bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)


def collect_databases(findings: Findings, urls: dict[str, str]) -> None:
    for service, url in urls.items():
        assert inspect(Database(url).engine).get_table_names(), service
        for where, value in table_values(url):
            kind = "evidence" if where.startswith("evidence_files.") else "database"  # see the last test
            findings.add(f"{kind}/{service}/{where}", [value])
            if where.startswith(("outbox.", "inbox.")):
                findings.add(f"outbox/{service}/{where}", [value])


def collect_logs(findings: Findings, platform: Launched) -> None:
    findings.add("logs", platform.output(tail=0).splitlines())


# --- distributed mode -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def distributed_run(module_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Findings]:
    stack, used = module_stack, Used()
    stack.declare()
    tap = Queue(f"{stack.prefix}.privacy-tap", durable=False, auto_delete=False,
                bindings=[binding(Exchange(e.name, type=e.type, durable=True), routing_key="#")
                          for e in stack.topology.all_exchanges() if e.type == "topic"])
    with Connection(stack.amqp) as conn:
        tap(conn.default_channel).declare()
    env = stack.env(REALNAME_GATEWAY_PORT=str(free_port()), REALNAME_AUTHORITY_SIM_MODE="always_open",
                    **service_ports())
    root = tmp_path_factory.mktemp("distributed")
    platform = Launched(["up", "--distributed"], env, root / "launcher.log")
    reader = EdgeReader(root / "edge" / "spool.sqlite")
    try:
        play(platform, used, reader)
        assert str(reader.account.get("username")).startswith(stack.prefix), reader.account
        findings = Findings(used)
        eventually(lambda: sum(stack.count(s, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
                               for s in PLATFORM) == 0, timeout=30)
        time.sleep(2)  # the consumers take in the last events (a dead letter would be made now)
        assert platform.interrupt() == 0, platform.output()
        with Connection(stack.amqp) as conn:
            findings.add("bus", _drain(conn, tap.name))
            dead = [q.name for q in stack.topology.all_queues() if q.name.endswith(".dead")]
            for name in dead:
                findings.add(f"dead-letters/{name}", _drain(conn, name))
            tap(conn.default_channel).delete()
        collect_databases(findings, {s: stack.settings.database_url_for(s) for s in PLATFORM})
        collect_logs(findings, platform)
        findings.add("files", _files(platform.data_dir))
        findings.add("spool", [*reader.spooled, *reader.files()])
        yield findings
    finally:
        if platform.proc.poll() is None:
            platform.proc.kill()
            platform.proc.wait()


def _drain(conn: Connection, queue: str) -> list[str]:
    """Every message of ``queue`` (taken), as its headers and body."""
    taken, channel = [], conn.channel()
    try:
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            headers = json.dumps(message.properties.get("application_headers") or {}, default=str, ensure_ascii=False)
            taken.append(f"{headers} {bytes(message.body).decode('utf-8', 'replace')}")
    finally:
        channel.close()
    return taken


def test_distributed_no_database_outbox_message_dead_letter_or_log_line_holds_a_personal_number(
        distributed_run: Findings) -> None:
    findings = distributed_run
    assert findings.places["bus"], "the tap heard nothing: it was not bound"
    assert any('"type":"card.read"' in message for message in findings.places["bus"]), "no read came by the edge"
    assert any(p.startswith("database/identity/card_reads") for p in findings.places)
    assert findings.places["spool"], "the reader's spool was not searched"
    for place in ("database", "outbox", "bus", "dead-letters", "logs", "files", "spool"):
        assert findings.numbers_in(place) == [], place


def test_distributed_no_outbox_row_message_dead_letter_or_log_line_holds_a_name_with_its_address(
        distributed_run: Findings) -> None:
    for place in ("outbox", "bus", "dead-letters", "logs", "spool"):
        assert distributed_run.people_in(place) == [], place


# --- all-in-one mode ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def all_in_one_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Findings]:
    used, root = Used(), tmp_path_factory.mktemp("all-in-one")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REALNAME_")}
    env.update(REALNAME_DATA_DIR=str(root / "var"), REALNAME_GATEWAY_PORT=str(free_port()),
               REALNAME_AUTHORITY_SIM_PORT=str(free_port()), REALNAME_AUTHORITY_SIM_MODE="always_open",
               REALNAME_RETAIN_OUTBOX_HOURS="0.0003", REALNAME_PRUNE_INTERVAL_SECONDS="1")  # about a second
    platform = Launched(["up"], env, root / "launcher.log")
    try:
        play(platform, used)
        findings = Findings(used)
        urls = {s: f"sqlite:///{platform.data_dir / f'{s}.db'}" for s in PLATFORM}
        findings.add("published rows left", [str(_published_rows_after(urls, seconds=20))])
        assert platform.interrupt() == 0, platform.output()
        collect_databases(findings, urls)
        collect_logs(findings, platform)
        findings.add("files", _files(platform.data_dir))
        yield findings
    finally:
        if platform.proc.poll() is None:
            platform.proc.kill()
            platform.proc.wait()


def _published_rows_after(urls: dict[str, str], seconds: float) -> int:
    """The published outbox rows left once none is, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while (left := _published_rows(urls)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def _published_rows(urls: dict[str, str]) -> int:
    total = 0
    for url in urls.values():
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                total += len(conn.exec_driver_sql("SELECT seq FROM outbox WHERE published_at IS NOT NULL").all())
        finally:
            engine.dispose()
    return total


def _files(root: Path) -> list[str]:
    """The bytes of every file under ``root`` (SQLite files and their journals, the dead letters' file …)."""
    return [f"{p.relative_to(root)} {p.read_bytes().decode('latin-1')}" for p in sorted(root.rglob("*"))
            if p.is_file()]


def test_all_in_one_no_table_file_or_log_line_holds_a_personal_number_and_published_events_go(
        all_in_one_run: Findings) -> None:
    findings = all_in_one_run
    assert findings.places["published rows left"] == ["0"]  # each deleted a second after it was published
    for place in ("database", "outbox", "logs"):
        assert findings.numbers_in(place) == [], place
    assert findings.numbers_in("files") == []
    assert any(re.match(r"registry\.db", piece) for piece in findings.places["files"])
    for place in ("outbox", "logs"):
        assert findings.people_in(place) == [], place


# --- evidence files -------------------------------------------------------------------------------------------

def test_no_evidence_file_holds_the_number_printed_on_it(distributed_run: Findings,
                                                         all_in_one_run: Findings) -> None:
    for findings in (distributed_run, all_in_one_run):
        assert findings.used.in_evidence
        assert findings.numbers_in("evidence") == []
        assert findings.numbers_in("files") == []
