"""Registering and listing enterprises through the registry's HTTP API, on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.testing import FlaskClient

from realname_registry.app import create_app
from realname_registry.domain import organisation_code_check_character, uscc_check_character
from tests.support.stack import Stack

URL = "/api/v1/registry/enterprises"


def credit_code(n: int) -> str:
    body = f"{20000000 + n:08d}"
    first17 = f"91310000{body}{organisation_code_check_character(body)}"
    return first17 + uscc_check_character(first17)


@pytest.fixture
def client(stack: Stack) -> FlaskClient:
    stack.migrate("registry")
    return create_app(stack.settings, stack.db("registry")).test_client()


def test_every_enterprise_is_listed_once_across_pages(client: FlaskClient) -> None:
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


def test_the_same_credit_code_twice_answers_409_with_the_first_enterprise(client: FlaskClient) -> None:
    first = client.post(URL, json={"name": "上海建工", "uscc": credit_code(1), "kind": "general_contractor"})
    again = client.post(URL, json={"name": "上海建工二", "uscc": credit_code(1).lower(), "kind": "labour"})
    assert again.status_code == 409
    assert again.content_type == "application/problem+json"
    assert again.get_json()["reason"] == "enterprise_exists"
    assert again.get_json()["existing"]["id"] == first.get_json()["id"]
    assert len(client.get(URL).get_json()["items"]) == 1


def test_concurrent_registrations_of_one_code_leave_one_enterprise(client: FlaskClient, stack: Stack) -> None:
    app_client = create_app(stack.settings, stack.db("registry")).test_client

    def register(_: int) -> int:
        return app_client().post(URL, json={"name": "同一家", "uscc": credit_code(9), "kind": "labour"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(register, range(16)))
    assert statuses == [201] + [409] * 15
    assert stack.count("registry", "SELECT count(*) FROM enterprises") == 1
    assert stack.count("registry", "SELECT count(*) FROM outbox") == 1  # one event, however many retries


def test_a_wrong_credit_code_is_refused_and_changes_nothing(client: FlaskClient, stack: Stack) -> None:
    wrong = credit_code(3)[:-1] + ("0" if credit_code(3)[-1] != "0" else "1")
    response = client.post(URL, json={"name": "上海建工", "uscc": wrong, "kind": "labour"})
    assert response.status_code == 422
    assert response.get_json()["reason"] == "uscc_invalid"
    assert "check character" in response.get_json()["detail"]
    assert stack.count("registry", "SELECT count(*) FROM enterprises") == 0
    assert stack.count("registry", "SELECT count(*) FROM outbox") == 0


def test_an_unknown_enterprise_is_a_404_problem(client: FlaskClient) -> None:
    response = client.get(f"{URL}/no-such-id")
    assert response.status_code == 404 and response.get_json()["reason"] == "enterprise_not_found"
