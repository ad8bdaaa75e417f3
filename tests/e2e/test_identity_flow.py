"""An ID card read, verified by the identity authority's simulator, becomes a worker (R1-R3), in both modes.

In distributed mode the read also comes from an edge-reader: the employer opens a broker account for its reader
PC, the reader publishes with it, and the identity consumer verifies the read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from realname_edge.card import PHOTO_LENGTH, CardRecord
from realname_edge.publisher import CardReadPublisher
from realname_edge.spool import CardSpool
from tests.e2e.test_registry_flow import GC, LABOUR, award_labour, login
from tests.support.infra import free_port
from tests.support.launched import ApiClient, Launched, service_ports
from tests.support.register_people import WANG, ZHANG
from tests.support.stack import Stack, eventually
from tests.support.workers import worker_body

pytestmark = pytest.mark.e2e
READS = "/api/v1/identity/card-reads"


@pytest.fixture(params=["distributed", "all-in-one"])
def platform(request: pytest.FixtureRequest, stack: Stack, tmp_path: Path) -> Iterator[Launched]:
    ports = service_ports()  # the simulator's too
    simulator = {"REALNAME_AUTHORITY_SIM_MODE": "always_open",
                 "REALNAME_AUTHORITY_SIM_PORT": ports["REALNAME_AUTHORITY_SIM_PORT"]}
    if request.param == "distributed":
        env = stack.env(REALNAME_GATEWAY_PORT=str(free_port()), **{**ports, **simulator})
        launched = Launched(["up", "--distributed"], env, tmp_path / "launcher.log")
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REALNAME_")}
        env.update(REALNAME_DATA_DIR=str(tmp_path / "var"), REALNAME_GATEWAY_PORT=str(free_port()), **simulator)
        launched = Launched(["up"], env, tmp_path / "launcher.log")
    yield launched
    if launched.proc.poll() is None:
        launched.proc.kill()
        launched.proc.wait()


def settled(client: ApiClient, read_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        response = client.call("GET", f"{READS}/{read_id}")  # 404 until an edge read has arrived
        read: dict[str, Any] = response.json()
        return read if response.status_code == 200 and read["status"] != "pending" else None
    found: dict[str, Any] = eventually(done, timeout=30, interval=0.2)
    return found


def test_a_verified_card_read_registers_a_worker_and_a_bad_one_says_why(platform: Launched) -> None:
    platform.wait_ready(timeout=120)
    gc, labour = login(platform, *GC, "general_contractor"), login(platform, *LABOUR, "labour")
    sent = labour.call("POST", READS, json=WANG)
    assert sent.status_code == 201, sent.text
    read = settled(labour, sent.json()["id"])
    assert (read["status"], read["id_number"]) == ("verified", "341221********1318")

    bad = labour.call("POST", READS, json={**ZHANG, "id_number": "412726198511233570"})
    assert (bad.json()["status"], bad.json()["reason"]) == ("rejected", "number_invalid")
    assert bad.json()["message_zh"]
    check = labour.call("POST", "/api/v1/identity/id-numbers/check", json={"id_number": "412726198511233575"})
    assert check.json()["valid"] is True and check.json()["birth_date"] == "1985-11-23"

    project = eventually(lambda: _created(gc.call("POST", "/api/v1/assignment/projects", json={
        "name": "阜阳路住宅", "registration_number": "BJ-E2E-ID-1", "address": "上海市虹口区阜阳路1号",
        "planned_start": "2026-01-01", "planned_completion": "2028-06-30"})), timeout=15)
    award_labour(gc, project["id"])
    team = eventually(lambda: _created(labour.call("POST", "/api/v1/registry/teams", json={
        "project_id": project["id"], "name": "木工一班"})), timeout=15)
    body = worker_body(team["id"])
    body.pop("identity")
    body["card_read_id"] = read["id"]
    worker = eventually(lambda: _created(labour.call("POST", "/api/v1/registry/workers", json=body)), timeout=15)
    assert (worker["name"], worker["identity_status"]) == ("王建国", "verified")  # R1

    if platform.env.get("REALNAME_AMQP_URL"):
        an_edge_reader_publishes_a_read_with_its_own_broker_account(platform, labour)


def an_edge_reader_publishes_a_read_with_its_own_broker_account(platform: Launched, labour: ApiClient) -> None:
    account = labour.call("POST", "/api/v1/identity/reader-accounts")
    assert account.status_code == 201, account.text
    given = account.json()
    card = CardRecord(name=ZHANG["name"], sex="male", ethnicity="01", birth_date=date(1985, 11, 23),
                      address=ZHANG["address"], id_number=ZHANG["id_number"],
                      issuing_authority=ZHANG["issuing_authority"], valid_from=date(2016, 5, 1),
                      valid_to=date(2036, 5, 1), photo=bytes(PHOTO_LENGTH))
    me = labour.call("GET", "/api/v1/auth/me").json()
    with CardSpool(platform.data_dir / "edge-spool.sqlite") as spool, \
            CardReadPublisher(given["amqp_url"], given["exchange"], me["enterprise_id"], spool,
                              seal_key=given["seal_key"]) as reader:
        read_id = reader.record_read(card)
        assert spool.count() == 0
    read = settled(labour, read_id)
    assert (read["status"], read["source"]) == ("verified", "edge")
    assert labour.call("DELETE", f"/api/v1/identity/reader-accounts/{given['username']}").status_code == 204


def _created(response: requests.Response) -> dict[str, Any] | None:
    return response.json() if response.status_code == 201 else None
