"""Registering and listing enterprises through the registry's HTTP API, on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from realname_codes.uscc import organisation_code_check_character, uscc_check_character
from realname_registry.app import create_app
from tests.support.stack import Stack
from tests.support.tokens import bearer

URL = "/api/v1/registry/enterprises"


def credit_code(n: int) -> str:
    body = f"{20000000 + n:08d}"
    first17 = f"91310000{body}{organisation_code_check_character(body)}"
    return first17 + uscc_check_character(first17)


class AsService:
    """The registry's client as the gateway: our own service, which may register and list enterprises."""

    def __init__(self, client: FlaskClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def post(self, url: str, **kwargs: object) -> TestResponse:
        return self.client.post(url, headers=self.headers, **kwargs)

    def get(self, url: str, **kwargs: object) -> TestResponse:
        return self.client.get(url, headers=self.headers, **kwargs)


@pytest.fixture
def client(stack: Stack) -> AsService:
    stack.migrate("registry")
    return AsService(create_app(stack.settings, stack.db("registry")).test_client(), bearer(stack.settings, "service"))


def test_every_enterprise_is_listed_once_across_pages(client: AsService) -> None:
    codes = [credit_code(i) for i in range(5)]
    for i, code in enumerate(codes):
        assert client.post(URL, json={"name": f"劳务公司{i}", "uscc": code, "kind": "labour"}).status_code == 201
    seen, cursor, pages = [], None, 0
    while True:
        page = client.get(URL, query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}).get_json()
        seen += [e["uscc"] for e in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == codes and pages == 3


def test_the_same_credit_code_twice_answers_409_with_the_first_enterprise(client: AsService) -> None:
    first = client.post(URL, json={"name": "上海建工", "uscc": credit_code(1), "kind": "general_contractor"})
    again = client.post(URL, json={"name": "上海建工二", "uscc": credit_code(1).lower(), "kind": "labour"})
    assert again.status_code == 409
    assert again.content_type == "application/problem+json"
    assert again.get_json()["reason"] == "enterprise_exists"
    assert again.get_json()["existing"]["id"] == first.get_json()["id"]
    assert len(client.get(URL).get_json()["items"]) == 1


def test_concurrent_registrations_of_one_code_leave_one_enterprise(client: AsService, stack: Stack) -> None:
    app = create_app(stack.settings, stack.db("registry"))

    def register(_: int) -> int:
        return AsService(app.test_client(), client.headers).post(
            URL, json={"name": "同一家", "uscc": credit_code(9), "kind": "labour"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(register, range(16)))
    assert statuses == [201] + [409] * 15
    assert stack.count("registry", "SELECT count(*) FROM enterprises") == 1
    assert stack.count("registry", "SELECT count(*) FROM outbox") == 1  # one event, however many retries


def test_a_wrong_credit_code_is_refused_and_changes_nothing(client: AsService, stack: Stack) -> None:
    wrong = credit_code(3)[:-1] + ("0" if credit_code(3)[-1] != "0" else "1")
    response = client.post(URL, json={"name": "上海建工", "uscc": wrong, "kind": "labour"})
    assert response.status_code == 422
    assert response.get_json()["reason"] == "uscc_invalid"
    assert "check character" in response.get_json()["detail"]
    assert stack.count("registry", "SELECT count(*) FROM enterprises") == 0
    assert stack.count("registry", "SELECT count(*) FROM outbox") == 0


def test_an_enterprise_sees_itself_and_no_other(client: AsService, stack: Stack) -> None:
    own = client.post(URL, json={"name": "本公司", "uscc": credit_code(4), "kind": "labour"}).get_json()
    other = client.post(URL, json={"name": "别家", "uscc": credit_code(5), "kind": "labour"}).get_json()
    as_own = bearer(stack.settings, "labour", enterprise_id=own["id"])
    assert client.client.get(f"{URL}/{own['id']}", headers=as_own).status_code == 200
    assert client.client.get(f"{URL}/{other['id']}", headers=as_own).status_code == 404  # not even a hint
    assert client.client.get(URL, headers=as_own).status_code == 403  # the list is for regulators
    assert client.client.post(URL, headers=as_own, json={"name": "x公司", "uscc": credit_code(6),
                                                         "kind": "labour"}).status_code == 403


def test_an_unknown_enterprise_is_a_404_problem(client: AsService) -> None:
    response = client.get(f"{URL}/no-such-id")
    assert response.status_code == 404 and response.get_json()["reason"] == "enterprise_not_found"
