"""Dates, instants and money on the wire: one form each, in and out (realname_kit.formats), on PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from realname_kit.timeutil import CHINA, today_in_china
from realname_registry.app import create_app
from tests.support.launched import HTTP_DATE
from tests.support.stack import Stack
from tests.support.tokens import bearer
from tests.support.workers import Client, add_project, worker_body

WORKERS = "/api/v1/registry/workers"
LABOUR = str(uuid.uuid4())  # the labour company of these tests, awarded a contract on each project it makes teams on
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


class Recorder:
    """A caller whose every JSON answer is kept, to be read for the forms it uses."""

    def __init__(self, client: Client) -> None:
        self.client, self.answers = client, list[str]()

    def _kept(self, response: TestResponse) -> TestResponse:
        if response.is_json:
            self.answers.append(response.get_data(as_text=True))
        return response

    def post(self, url: str, **kwargs: Any) -> TestResponse:
        return self._kept(self.client.post(url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self._kept(self.client.get(url, **kwargs))

    def patch(self, url: str, **kwargs: Any) -> TestResponse:
        return self._kept(self.client.patch(url, **kwargs))


@pytest.fixture(scope="module")
def registry(module_stack: Stack) -> Flask:
    module_stack.migrate("registry")
    return create_app(module_stack.settings, module_stack.db("registry"))


@pytest.fixture
def labour(registry: Flask, module_stack: Stack) -> Recorder:
    headers = bearer(module_stack.settings, "labour", enterprise_id=LABOUR)
    return Recorder(Client(registry.test_client(), headers))


def _team(labour: Recorder, stack: Stack) -> str:
    project = add_project(stack.db("registry"), contractors=[LABOUR])
    made = labour.post("/api/v1/registry/teams", json={"project_id": project, "name": f"钢筋{uuid.uuid4().hex[:4]}班"})
    assert made.status_code == 201, made.get_json()
    team_id: str = made.get_json()["id"]
    return team_id


def _instants(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _instants(v, k)]
    if isinstance(value, list):
        return [s for v in value for s in _instants(v, key)]
    return [value] if isinstance(value, str) and key.endswith("_at") else []


def test_a_labour_company_s_day_answers_every_date_in_iso_8601_and_every_instant_in_utc(
        labour: Recorder, module_stack: Stack) -> None:
    team = _team(labour, module_stack)
    registered = labour.post(WORKERS, json=worker_body(team))
    assert registered.status_code == 201, registered.get_json()
    url = f"{WORKERS}/{registered.get_json()['id']}"
    edited = labour.patch(url, json={"employment": {"contract_number": "HT-FMT-1", "base_wage": "5300.00"}},
                          headers={"If-Match": registered.headers["ETag"]})
    assert edited.status_code == 200, edited.get_json()
    labour.get(url)
    labour.get(f"{url}/history")
    labour.get(WORKERS)
    labour.get("/api/v1/registry/registration-defaults")
    labour.post(f"{url}/resignation", json={"date": today_in_china().isoformat()})
    labour.post(f"{url}/resignation", json={"date": "2020-01-01"})  # refused: a problem with a date in it
    labour.post(WORKERS, json=worker_body(team, contract_start="2020-01-01", contract_end="2019-01-01"))

    assert len(labour.answers) >= 9
    assert [a for a in labour.answers if HTTP_DATE.search(a)] == []
    instants = [s for a in map(json.loads, labour.answers) for s in _instants(a)]
    assert instants and all(INSTANT.match(s) for s in instants), instants


def test_a_history_since_a_date_without_an_offset_reads_it_as_china_time(labour: Recorder,
                                                                         module_stack: Stack) -> None:
    registered = labour.post(WORKERS, json=worker_body(_team(labour, module_stack)))
    worker_url = f"{WORKERS}/{registered.get_json()['id']}"
    at = datetime.fromisoformat(registered.get_json()["created_at"])
    # a moment just after the registration in UTC, written as the wall clock in China without an offset
    after = (at + timedelta(seconds=1)).astimezone(CHINA).replace(tzinfo=None).isoformat()
    before = (at - timedelta(minutes=1)).astimezone(CHINA).replace(tzinfo=None).isoformat()

    later = labour.get(f"{worker_url}/history", query_string={"since": after})
    earlier = labour.get(f"{worker_url}/history", query_string={"since": before})
    today = labour.get(f"{worker_url}/history", query_string={"since": today_in_china().isoformat()})

    assert later.status_code == earlier.status_code == today.status_code == 200, later.get_json()
    assert later.get_json()["items"] == []  # read in UTC, this moment would be eight hours earlier
    assert [h["action"] for h in earlier.get_json()["items"]] == ["registered"]
    assert [h["action"] for h in today.get_json()["items"]] == ["registered"]


def test_a_history_since_an_instant_with_an_offset_means_that_instant(labour: Recorder,
                                                                      module_stack: Stack) -> None:
    registered = labour.post(WORKERS, json=worker_body(_team(labour, module_stack)))
    at = datetime.fromisoformat(registered.get_json()["created_at"])
    history = f"{WORKERS}/{registered.get_json()['id']}/history"
    just_before = (at - timedelta(seconds=1)).astimezone(UTC).isoformat()
    assert len(labour.get(history, query_string={"since": just_before}).get_json()["items"]) == 1
    assert labour.get(history, query_string={"since": "2026-13-01"}).status_code == 422


def test_money_is_answered_as_a_string_with_two_places_whichever_exact_form_it_came_in(
        labour: Recorder, module_stack: Stack) -> None:
    team = _team(labour, module_stack)
    as_number = labour.post(WORKERS, json=worker_body(team, base_wage=5200, probation_wage=4600.5))
    as_string = labour.post(WORKERS, json=worker_body(team, base_wage="5200", probation_wage="4600.50"))

    for answer in (as_number, as_string):
        assert answer.status_code == 201, answer.get_json()
        employment = answer.get_json()["employment"]
        assert (employment["base_wage"], employment["probation_wage"]) == ("5200.00", "4600.50")
        assert employment["daily_wage"] is None


@pytest.mark.parametrize("amount", [4800.123, "4800.123", "4,800", "4800元", "1e3", True, "12345678901.00"])
def test_money_that_is_not_an_exact_amount_is_refused_never_rounded(labour: Recorder, module_stack: Stack,
                                                                     amount: Any) -> None:
    team = _team(labour, module_stack)
    refused = labour.post(WORKERS, json=worker_body(team, base_wage=amount))
    assert refused.status_code in (400, 422), refused.get_json()
    assert "4800.00" in str(refused.get_json()) and "金额" in str(refused.get_json())
    assert "money_invalid" in {e["reason"] for e in refused.get_json()["errors"]}, refused.get_json()
    assert labour.get(WORKERS, query_string={"team_id": team}).get_json()["items"] == []

