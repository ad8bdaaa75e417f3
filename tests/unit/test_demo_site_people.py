"""The demo site's enterprises and workers are valid as the platform checks them, and the same at every start
(what finds them again), and what it prints can be pasted."""

from __future__ import annotations

from realname_codes.bank_cards import wage_card_problem
from realname_codes.id_numbers import parse_id_number
from realname_codes.phones import mobile_problem
from realname_codes.uscc import uscc_problem
from realname_kit.timeutil import today_in_china
from realname_launcher.demo_site.announce import lines
from realname_launcher.demo_site.client import Api
from realname_launcher.demo_site.crew import NAMES, registration
from realname_launcher.demo_site.parties import GC, LABOUR, Parties


def test_the_demo_enterprises_have_valid_and_distinct_credit_codes() -> None:
    assert uscc_problem(GC[0]) is None and uscc_problem(LABOUR[0]) is None
    assert GC[0] != LABOUR[0]


def test_each_demo_worker_is_a_valid_person_of_their_own_and_the_same_at_every_start() -> None:
    workers = [registration(n, name, "team") for n, name in enumerate(NAMES)]
    numbers = [w["identity"]["id_number"] for w in workers]
    assert len(set(numbers)) == len(NAMES)
    for worker in workers:
        parsed = parse_id_number(worker["identity"]["id_number"], today_in_china())
        assert parsed.sex == worker["identity"]["sex"]
        assert str(parsed.birth_date) == worker["identity"]["birth_date"]
        assert wage_card_problem(worker["employment"]["wage_card_number"]) is None
        assert mobile_problem(worker["phone"]) is None
    again = [registration(n, name, "team")["identity"] for n, name in enumerate(NAMES)]
    assert again == [w["identity"] for w in workers]


def test_what_it_prints_names_the_login_and_the_gate_sync_url_ready_to_paste() -> None:
    parties = Parties(Api("x"), Api("x"), Api("x"), "p-1", "c-1", "site.manager@code", "Gate-secret")
    printed = "\n".join(lines("http://127.0.0.1:8000", parties, 5))
    sync = "http://127.0.0.1:8000/api/v1/attendance/projects/p-1/gate-sync"
    assert f"demo site gate-sync: GET {sync}" in printed
    assert '{"username": "site.manager@code", "password": "Gate-secret"}' in printed
    assert f'curl -s -H "Authorization: Bearer $TOKEN" {sync}' in printed
