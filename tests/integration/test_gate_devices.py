"""A general contractor's gate managers register site bridges and gates, read them, disable and enable them (R23,
R32); everyone else is refused, and what changed is audited and told to the whitelist engine.

Real PostgreSQL and RabbitMQ (its management API makes the devices' accounts).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from realname_codes.roles import MANAGE_GATES
from tests.support.devices import Site, build_site
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def site(module_stack: Stack) -> Iterator[Site]:
    yield build_site(module_stack)


def test_a_bridge_is_registered_with_credentials_shown_once(site: Site) -> None:
    bridge = site.bridge()
    prefix = site.stack.settings.bus_prefix
    credentials = bridge["credentials"]
    assert credentials["account"] == bridge["account"] and credentials["account"].startswith(f"{prefix}bridge-")
    assert credentials["password"] and credentials["password"] in credentials["amqp_url"]
    assert credentials["exchange"] == f"{prefix}gates.events"
    assert credentials["command_queue"] == f"{prefix}gates.commands.{bridge['account']}"

    read = site.manager.get(f"/bridges/{bridge['id']}")
    assert read.status_code == 200 and "credentials" not in (read.json or {})
    assert credentials["password"] not in read.get_data(as_text=True)
    assert read.json and read.json["unknown_devices"] == [] and read.json["gates"] == 0
    listed = site.manager.get(f"/projects/{site.project}/bridges").json or {}
    assert bridge["id"] in [b["id"] for b in listed["items"]]
    audit = site.audits("bridge.registered")[-1]
    assert audit["subject"] == bridge["id"] and credentials["password"] not in str(audit)


def test_a_native_gate_gets_its_own_account_and_the_whitelist_engine_hears_of_it(site: Site) -> None:
    gate = site.gate("native", direction="both")
    assert gate["credentials"]["account"] == gate["account"]
    assert gate["account"].startswith(f"{site.stack.settings.bus_prefix}gate-")
    registered = [e for e in site.events("device.registered") if e["gate_id"] == gate["id"]]
    assert registered == [{"gate_id": gate["id"], "project_id": site.project, "kind": "native",
                           "serial": gate["serial"], "bridge_id": None, "target": gate["account"]}]
    assert gate["health"]["online"] is False and gate["health"]["last_contact_at"] is None


def test_a_vendor_gate_is_driven_by_a_bridge_of_its_project_and_has_no_account_of_its_own(site: Site) -> None:
    bridge = site.bridge()
    gate = site.gate("hikvision-isapi", bridge_id=bridge["id"])
    assert gate["credentials"] is None and gate["account"] is None and gate["bridge_id"] == bridge["id"]
    target = [e["target"] for e in site.events("device.registered") if e["gate_id"] == gate["id"]]
    assert target == [bridge["account"]]
    assert (site.manager.get(f"/bridges/{bridge['id']}").json or {})["gates"] == 1
    assert site.manager.post(f"/gates/{gate['id']}/credentials").status_code == 409


@pytest.mark.parametrize(("body", "reason"), [
    ({"kind": "zkteco-push"}, "bridge_required"),
    ({"kind": "zkteco-push", "bridge_id": str(uuid.uuid4())}, "bridge_unknown"),
    ({"kind": "native", "bridge_id": "BRIDGE"}, "bridge_not_for_native"),
])
def test_a_gate_without_the_right_bridge_is_refused_with_words_and_nothing_is_made(
        site: Site, body: dict[str, str], reason: str) -> None:
    bridge = site.bridge()
    body = {**body, **({"bridge_id": bridge["id"]} if body.get("bridge_id") == "BRIDGE" else {})}
    before = len(site.events("device.registered"))
    answer = site.manager.post(f"/projects/{site.project}/gates",
                               json={"serial": "SN-REFUSED", "direction": "in", "name": "门", **body})
    assert answer.status_code == 422 and answer.json and answer.json["reason"] == reason
    assert answer.json["message_zh"] and answer.content_type == "application/problem+json"
    assert len(site.events("device.registered")) == before


def test_a_bridge_of_another_project_cannot_drive_a_gate_here(site: Site) -> None:
    theirs = site.other_manager.post(f"/projects/{site.other}/bridges", json={"name": "他们的网关"}).json or {}
    answer = site.manager.post(f"/projects/{site.project}/gates", json={
        "kind": "zkteco-push", "serial": "SN-THEIRS", "direction": "in", "name": "门", "bridge_id": theirs["id"]})
    assert answer.status_code == 422 and answer.json and answer.json["reason"] == "bridge_unknown"


def test_a_serial_is_registered_once_per_kind_and_a_retry_with_its_key_makes_no_second_gate(site: Site) -> None:
    body = {"kind": "native", "serial": f"SN{uuid.uuid4().hex[:8]}", "direction": "out", "name": "西门出"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = site.manager.post(f"/projects/{site.project}/gates", json=body, headers=key)
    again = site.manager.post(f"/projects/{site.project}/gates", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json and again.json and again.json["id"] == first.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["credentials"] is None  # a password is never kept for a replay
    assert first.json["credentials"]["password"] not in again.get_data(as_text=True)
    assert [e["gate_id"] for e in site.events("device.registered")].count(first.json["id"]) == 1

    twin = site.manager.post(f"/projects/{site.project}/gates", json=body)
    assert twin.status_code == 409 and twin.json and twin.json["reason"] == "serial_taken"
    other_kind = site.gate("zkteco-push", bridge_id=site.bridge()["id"], serial=body["serial"])
    assert other_kind["serial"] == body["serial"]


def test_disabling_and_enabling_a_gate_is_told_once_each(site: Site) -> None:
    gate = site.gate()
    for _ in range(2):
        disabled = site.manager.post(f"/gates/{gate['id']}/disable")
        assert disabled.status_code == 200 and disabled.json and disabled.json["enabled"] is False
    assert [e for e in site.events("device.disabled") if e["gate_id"] == gate["id"]] == [
        {"gate_id": gate["id"], "project_id": site.project, "cause": "disabled"}]
    for _ in range(2):
        assert site.manager.post(f"/gates/{gate['id']}/enable").status_code == 200
    assert [e["gate_id"] for e in site.events("device.enabled")].count(gate["id"]) == 1
    assert [a["subject"] for a in site.audits("gate.disabled")].count(gate["id"]) == 1


def test_a_disabled_bridge_takes_its_gates_out_of_the_whitelist_until_it_is_enabled(site: Site) -> None:
    bridge = site.bridge()
    gate = site.gate("zkteco-push", bridge_id=bridge["id"])
    answer = site.manager.post(f"/bridges/{bridge['id']}/disable")
    assert answer.status_code == 200 and answer.json and answer.json["enabled"] is False
    assert {"gate_id": gate["id"], "project_id": site.project, "cause": "bridge_disabled"} in \
        site.events("device.disabled")
    assert site.manager.post(f"/bridges/{bridge['id']}/enable").status_code == 200
    assert {"gate_id": gate["id"], "project_id": site.project} in site.events("device.enabled")


def test_the_list_filters_by_kind_and_state(site: Site) -> None:
    native, vendor = site.gate(), site.gate("hikvision-isapi", bridge_id=site.bridge()["id"])
    site.manager.post(f"/gates/{native['id']}/disable")

    def ids(**query: str) -> set[str]:
        answer = site.manager.get(f"/projects/{site.project}/gates", query_string={"limit": "500", **query})
        assert answer.status_code == 200, answer.json
        return {g["id"] for g in (answer.json or {})["items"]}
    assert vendor["id"] in ids(kind="hikvision-isapi") and native["id"] not in ids(kind="hikvision-isapi")
    assert native["id"] in ids(enabled="false") and vendor["id"] not in ids(enabled="false")
    assert {native["id"], vendor["id"]} <= ids(online="false") and not ids(online="true") & {native["id"]}
    assert not ids(clock_off="true") & {native["id"], vendor["id"]}


def test_pages_follow_the_cursor(site: Site) -> None:
    site.gate(), site.gate()
    first = site.manager.get(f"/projects/{site.project}/gates", query_string={"limit": "1"}).json or {}
    second = site.manager.get(f"/projects/{site.project}/gates",
                              query_string={"limit": "1", "cursor": first["next_cursor"]}).json or {}
    assert first["next_cursor"] and second["items"][0]["id"] > first["items"][0]["id"]


def test_only_the_general_contractors_gate_managers_change_gates(site: Site) -> None:
    gate, bridge = site.gate(), site.bridge()
    body = {"kind": "native", "serial": "SN-DENIED", "direction": "in", "name": "门"}
    refused = {
        "the contractor's own login (no project function)": site.caller("general_contractor", enterprise_id=site.gc),
        "staff without manage_gates": site.caller("staff", enterprise_id=site.gc,
                                                  projects={site.project: ["confirm_entry"]}),
        "a subcontractor's manager": site.caller("project_manager", "staff", enterprise_id=site.sub,
                                                 projects={site.project: [MANAGE_GATES]}),
        "a regulator": site.regulator,
    }
    for who, caller in refused.items():
        assert caller.post(f"/projects/{site.project}/gates", json=body).status_code == 403, who
        assert caller.post(f"/projects/{site.project}/bridges", json={"name": "网关"}).status_code == 403, who
    for who, caller in list(refused.items())[:3]:  # they may not read either: as if the objects did not exist
        assert caller.get(f"/gates/{gate['id']}").status_code == 404, who
        assert caller.post(f"/gates/{gate['id']}/disable").status_code == 404, who
        assert caller.get(f"/bridges/{bridge['id']}").status_code == 404, who
        assert caller.delete(f"/bridges/{bridge['id']}/credentials").status_code == 404, who
    assert site.regulator.get(f"/gates/{gate['id']}").status_code == 200
    assert site.regulator.post(f"/gates/{gate['id']}/disable").status_code == 403
    assert site.caller().client.get(f"/api/v1/attendance/gates/{gate['id']}").status_code == 401


def test_another_tenants_gates_and_bridges_answer_404(site: Site) -> None:
    gate, bridge = site.gate(), site.bridge()
    other = site.other_manager
    for url in (f"/gates/{gate['id']}", f"/bridges/{bridge['id']}"):
        assert other.get(url).status_code == 404
    for url in (f"/gates/{gate['id']}/disable", f"/gates/{gate['id']}/credentials", f"/bridges/{bridge['id']}/enable"):
        assert other.post(url).status_code == 404
    assert other.get(f"/projects/{site.project}/gates").status_code == 404
    assert other.post(f"/projects/{site.project}/gates", json={
        "kind": "native", "serial": "SN-X", "direction": "in", "name": "门"}).status_code == 403
    assert (site.manager.get(f"/gates/{gate['id']}").json or {})["enabled"] is True


def test_a_completed_projects_gates_are_disabled_and_stay_readable(stack: Stack) -> None:
    site = build_site(stack)
    gates = [site.gate(), site.gate("zkteco-push", bridge_id=site.bridge()["id"])]
    site.manager.post(f"/gates/{gates[0]['id']}/disable")
    for _ in range(2):  # delivered twice: one effect
        site.learn("project.completed", project_id=site.project)
    causes = [(e["gate_id"], e["cause"]) for e in site.events("device.disabled")]
    assert causes == [(gates[0]["id"], "disabled"), (gates[1]["id"], "project_completed")]
    assert (site.manager.get(f"/gates/{gates[1]['id']}").json or {})["enabled"] is False
    refused = site.manager.post(f"/gates/{gates[1]['id']}/enable")
    assert refused.status_code == 409 and refused.json and refused.json["reason"] == "project_completed"
